package io.vigil.collector.sink;

/**
 * One record for Kafka, as every source produces it: topic, key (may be null) and value bytes.
 *
 * @param topic where the record goes
 * @param key the partitioning key, or null
 * @param value the payload
 */
public record SinkRecord(String topic, byte[] key, byte[] value) {}
