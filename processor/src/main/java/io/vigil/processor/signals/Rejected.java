package io.vigil.processor.signals;

/**
 * An input record that is not a valid {@code ExportMetricsServiceRequest}, on its way to the DLQ.
 *
 * @param key the original key bytes
 * @param value the original value bytes
 * @param reason a short fixed token, the counter's {@code reason} label
 * @param detail what exactly was wrong, for the DLQ header
 */
record Rejected(byte[] key, byte[] value, String reason, String detail) implements Decoded {}
