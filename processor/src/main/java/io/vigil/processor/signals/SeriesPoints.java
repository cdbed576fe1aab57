package io.vigil.processor.signals;

import java.util.List;

/**
 * The data points of one series from one input record. Points travel through the repartition topic
 * and are applied together: one read and write of the series' windows and live slots per request
 * rather than per point.
 *
 * @param points the points, all of the same series
 */
record SeriesPoints(List<MetricPoint> points) {}
