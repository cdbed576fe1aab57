package io.vigil.processor.signals;

/** What decoding one input record yields: data points, or the reason the record was rejected. */
sealed interface Decoded permits MetricPoint, Rejected {}
