package io.vigil.processor.signals;

/**
 * The points of a series read on the partition whose task holds that series ({@link
 * ServicePartitioner}): the decode step forwards them to the signals step directly, in the same
 * task and transaction, instead of through the repartition topic.
 *
 * @param points the points, all of the same series
 */
record OwnedPoints(SeriesPoints points) {}
