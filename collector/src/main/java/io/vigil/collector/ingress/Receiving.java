package io.vigil.collector.ingress;

import io.vigil.collector.sink.RecordSink;

/**
 * What every receiver on the ingress shares: where records go, the counters, the senders' bearer
 * tokens and the memory budget of requests in flight.
 *
 * @param sink where the records go
 * @param metrics the receivers' counters
 * @param auth the senders' bearer tokens, or null when none is required
 * @param inFlight the bytes all requests being received may hold together
 * @param rateLimits how much each sender may send
 * @param peers who each sender is (its pod), added to the resources it sent where they do not say
 */
public record Receiving(
    RecordSink sink,
    ReceiverMetrics metrics,
    BearerAuth auth,
    InFlightBytes inFlight,
    SenderRateLimits rateLimits,
    Peers peers) {}
