package io.vigil.processor.signals;

/**
 * An input record that is not a valid {@code ExportMetricsServiceRequest}, on its way to the DLQ.
 *
 * <p>Why it was rejected travels in the record's DLQ headers.
 *
 * @param key the original key bytes
 * @param value the original value bytes
 */
record Rejected(byte[] key, byte[] value) implements Decoded {}
