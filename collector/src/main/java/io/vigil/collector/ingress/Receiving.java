package io.vigil.collector.ingress;

import io.vigil.collector.sink.RecordSink;

/**
 * What every receiver on the ingress shares: where records go, the counters, and the senders'
 * bearer tokens.
 *
 * @param sink where the records go
 * @param metrics the receivers' counters
 * @param auth the senders' bearer tokens, or null when none is required
 */
public record Receiving(RecordSink sink, ReceiverMetrics metrics, BearerAuth auth) {}
