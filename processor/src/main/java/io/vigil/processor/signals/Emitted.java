package io.vigil.processor.signals;

import io.vigil.model.signal.GoldenSignal;

/**
 * A signal on its way out: a live one to {@code vigil.signals.live}, else a final window (or late
 * supplement) to {@code vigil.signals}.
 */
record Emitted(boolean live, GoldenSignal signal) {}
