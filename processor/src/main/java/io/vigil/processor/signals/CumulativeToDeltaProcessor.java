package io.vigil.processor.signals;

import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns cumulative points into deltas using the per-stream state in {@link
 * GoldenSignalsTopology#CUMULATIVE_STORE} (see {@link DeltaCalculator} for the rules), passes delta
 * points through, and drops points whose window has already closed. Runs after the repartition by
 * series, so every point of a stream reaches the same task.
 */
final class CumulativeToDeltaProcessor
    implements FixedKeyProcessor<String, MetricPoint, MetricPoint> {
  /** A stream silent this long (in stream time) is forgotten; it re-seeds if it comes back. */
  static final Duration STALE_STREAM_TTL = Duration.ofHours(1);

  private final long windowMs;
  private final long graceMs;
  private final ProcessorMetrics metrics;
  private FixedKeyProcessorContext<String, MetricPoint> context;
  private KeyValueStore<String, StreamState> store;

  CumulativeToDeltaProcessor(Duration window, Duration grace, ProcessorMetrics metrics) {
    this.windowMs = window.toMillis();
    this.graceMs = grace.toMillis();
    this.metrics = metrics;
  }

  @Override
  public void init(FixedKeyProcessorContext<String, MetricPoint> context) {
    this.context = context;
    this.store = context.getStateStore(GoldenSignalsTopology.CUMULATIVE_STORE);
    context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::evictStale);
  }

  @Override
  public void process(FixedKeyRecord<String, MetricPoint> record) {
    MetricPoint point = record.value();
    long timeMs = point.timeMillis();
    long windowStartMs = timeMs - Math.floorMod(timeMs, windowMs);
    MetricPoint delta = point;
    if (point.cumulative()) {
      DeltaCalculator.Step step =
          DeltaCalculator.next(store.get(point.stream()), point, windowStartMs * 1_000_000L);
      if (step.state() != null) {
        store.put(point.stream(), step.state());
      }
      if (step.skipReason() != null) {
        metrics.dataPointSkipped(step.skipReason());
      }
      delta = step.delta();
    }
    if (delta == null) {
      return;
    }
    if (windowStartMs + windowMs + graceMs <= context.currentStreamTimeMs()) {
      // The window aggregation would drop it silently; count it instead.
      metrics.dataPointSkipped("late");
      return;
    }
    context.forward(record.withValue(delta).withTimestamp(timeMs));
  }

  private void evictStale(long streamTimeMs) {
    long oldestKeptNanos = (streamTimeMs - STALE_STREAM_TTL.toMillis()) * 1_000_000L;
    List<String> stale = new ArrayList<>();
    try (KeyValueIterator<String, StreamState> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, StreamState> entry = it.next();
        if (entry.value.timeNanos() < oldestKeptNanos) {
          stale.add(entry.key);
        }
      }
    }
    stale.forEach(store::delete);
  }
}
