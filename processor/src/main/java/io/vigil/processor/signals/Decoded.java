package io.vigil.processor.signals;

/**
 * What decoding one input record yields: the data points of one series, or the reason the record
 * was rejected.
 */
sealed interface Decoded permits SeriesPoints, Rejected {}
