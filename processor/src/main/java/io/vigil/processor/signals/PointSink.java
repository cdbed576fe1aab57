package io.vigil.processor.signals;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a decoder reports what it read of a request: each usable point, and each one it left out
 * with a short fixed reason (a counter label).
 *
 * @param <P> the kind of point
 */
interface PointSink<P> {
  /** A valid point. */
  void point(P point);

  /** A point that was left out; {@code reason} is a short fixed token. */
  void skipped(String reason);

  /** A sink that adds points to {@code points} and hands reasons to {@code skipped}. */
  static <P> PointSink<P> into(List<P> points, Consumer<String> skipped) {
    return new PointSink<>() {
      @Override
      public void point(P point) {
        points.add(point);
      }

      @Override
      public void skipped(String reason) {
        skipped.accept(reason);
      }
    };
  }
}
