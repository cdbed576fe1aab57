package io.vigil.processor.signals;

import java.util.List;

/**
 * The saturation readings of one node or pod from one input record, applied together.
 *
 * @param points the readings, all of the same series
 */
record SaturationPoints(List<SaturationPoint> points) {}
