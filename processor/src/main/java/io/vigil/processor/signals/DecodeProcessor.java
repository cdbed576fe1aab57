package io.vigil.processor.signals;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.vigil.model.Topics;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.runtime.ThrottlingLogger;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.LoggerFactory;

/**
 * Parses each {@code otlp_metrics} record — or, reading {@link Input#SPANS}, each {@code
 * otlp_spans} record, whose server spans become request points ({@link OtlpSpansDecoder}) — and
 * forwards, per series, one record with its usable data points, keyed by series and stamped with
 * the newest point's event time; a record that does not parse goes to the DLQ ({@link
 * DeadLetterRoute}).
 *
 * <p>The sender's clock is checked against the time the record was written to Kafka (its timestamp,
 * set by the collector) and the wall clock: a point more than {@code maxClockSkew} away from the
 * earlier of the two is counted at that time instead ({@code
 * vigil_processor_data_points_adjusted_total{reason="clock_skew"}}). A sender whose clock is wrong
 * is still counted, in the right place within the skew, and never in another series' way; a backlog
 * (old record timestamps) keeps its own times.
 *
 * <p>A series read on the partition whose task holds it ({@link ServicePartitioner}, of {@code
 * partitions}: the repartition topic's count) is forwarded as {@link OwnedPoints}, for the signals
 * step of this same task; the others as {@link SeriesPoints}, for the repartition topic. With
 * {@code partitions} 0 every series takes the repartition topic.
 */
final class DecodeProcessor extends ContextualProcessor<byte[], byte[], String, Object> {
  private static final ThrottlingLogger LOG =
      new ThrottlingLogger(LoggerFactory.getLogger(DecodeProcessor.class));

  /** The topic a decode step reads, and what its records hold. */
  enum Input {
    METRICS(Topics.OTLP_METRICS, "ExportMetricsServiceRequest"),
    SPANS(Topics.OTLP_SPANS, "ExportTraceServiceRequest");

    final String topic;
    final String message;

    Input(String topic, String message) {
      this.topic = topic;
      this.message = message;
    }
  }

  private final ProcessorMetrics metrics;
  private final long maxSkewMs;
  private final Input input;
  private final int partitions;

  /** What point attributes say, by their bytes: one cache per task, as there is one processor. */
  private final PointLabelsCache labels = new PointLabelsCache();

  DecodeProcessor(ProcessorMetrics metrics, Duration maxClockSkew, Input input, int partitions) {
    this.metrics = metrics;
    this.maxSkewMs = maxClockSkew.toMillis();
    this.input = input;
    this.partitions = partitions;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.value() == null) {
      reject(record, "null_value", "record has no value");
      return;
    }
    List<MetricPoint> points = new ArrayList<>();
    List<SaturationPoint> readings = new ArrayList<>();
    List<PipelineRun> lags = new ArrayList<>();
    try {
      if (input == Input.SPANS) {
        OtlpSpansDecoder.decode(
            ExportTraceServiceRequest.parseFrom(record.value()),
            PointSink.into(points, metrics::dataPointSkipped));
      } else {
        // The server-duration histograms read from the wire; the rest for the other decoders.
        ExportMetricsServiceRequest request =
            HistogramWire.decode(
                record.value(), labels, PointSink.into(points, metrics::dataPointSkipped));
        SaturationDecoder.decode(request, PointSink.into(readings, metrics::dataPointSkipped));
        LagDecoder.decode(request, lags::add);
      }
    } catch (InvalidProtocolBufferException e) {
      reject(record, "invalid_protobuf", "not an OTLP " + input.message + ": " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      // A bug must not turn one odd request into a dead stream thread.
      reject(record, "unprocessable", e.toString());
      return;
    }
    long now = context().currentSystemTimeMs();
    long written = record.timestamp() > 0 ? Math.min(record.timestamp(), now) : now;
    for (int i = 0; i < points.size(); i++) {
      MetricPoint point = points.get(i);
      long time = point.timeMillis();
      if (skewed(time, written)) {
        LOG.warn(
            "service {}: point time {} is {} ms from when it was received; counted at {}",
            point.service(),
            time,
            time - written,
            written);
        points.set(i, point.withTime(written * 1_000_000L));
      }
      metrics.dataPointAccepted();
    }
    Map<String, List<MetricPoint>> bySeries = bySeries(points);
    forwardReadings(readings, written, record.timestamp());
    forwardLags(lags, written);
    int read =
        partitions > 0 ? context().recordMetadata().map(RecordMetadata::partition).orElse(-1) : -1;
    for (Map.Entry<String, List<MetricPoint>> series : bySeries.entrySet()) {
      List<MetricPoint> seriesPoints = series.getValue();
      long newest = 0;
      for (MetricPoint point : seriesPoints) {
        newest = Math.max(newest, point.timeMillis());
      }
      SeriesPoints value = new SeriesPoints(seriesPoints);
      boolean owned =
          read >= 0
              && ServicePartitioner.partition(seriesPoints.get(0).service(), partitions) == read;
      metrics.dataPointsRouted(owned ? "direct" : "repartition", seriesPoints.size());
      context()
          .forward(
              new Record<String, Object>(
                  series.getKey(),
                  owned ? new OwnedPoints(value) : value,
                  newest,
                  new RecordHeaders()));
    }
  }

  /**
   * Forwards saturation readings per node or pod series, with the same clock check as request
   * points; a counter's capacity keeps its own time, so its increases still divide right.
   */
  private void forwardReadings(List<SaturationPoint> readings, long written, long timestamp) {
    Map<String, List<SaturationPoint>> bySeries = new LinkedHashMap<>();
    for (SaturationPoint point : readings) {
      if (skewed(point.timeMillis(), written)) {
        point = point.withTime(written * 1_000_000L);
      }
      bySeries.computeIfAbsent(point.seriesKey(), k -> new ArrayList<>()).add(point);
    }
    for (Map.Entry<String, List<SaturationPoint>> series : bySeries.entrySet()) {
      long newest = 0;
      for (SaturationPoint point : series.getValue()) {
        newest = Math.max(newest, point.timeMillis());
      }
      context()
          .forward(
              new Record<String, Object>(
                  series.getKey(),
                  new SaturationPoints(series.getValue()),
                  newest > 0 ? newest : timestamp,
                  new RecordHeaders()));
    }
  }

  /** Forwards lag records keyed by their job, timed by their point unless its clock is off. */
  private void forwardLags(List<PipelineRun> lags, long written) {
    for (PipelineRun lag : lags) {
      if (skewed(lag.timestamp().toEpochMilli(), written)) {
        lag = PipelineRun.lag(Instant.ofEpochMilli(written), lag.job(), lag.lag());
      }
      context()
          .forward(new Record<String, Object>(lag.job().key(), lag, written, new RecordHeaders()));
    }
  }

  /**
   * Whether a point stamped {@code timeMs} is more than the allowed skew from {@code written}, the
   * time its record reached Kafka (counted when it is: it is then counted at {@code written}).
   */
  private boolean skewed(long timeMs, long written) {
    if (timeMs > written + maxSkewMs || timeMs < written - maxSkewMs) {
      metrics.dataPointAdjusted("clock_skew");
      return true;
    }
    return false;
  }

  private void reject(Record<byte[], byte[]> record, String reason, String detail) {
    String topic = context().recordMetadata().map(RecordMetadata::topic).orElse(input.topic);
    context()
        .forward(
            DeadLetterRoute.reject(record, topic, reason, detail, metrics::recordRejected, LOG));
  }

  /** Whether {@code b}'s service is named by the very strings that name {@code a}'s. */
  /**
   * {@code points} by series key, in the order each series first came. A resource's points come
   * together, naming their service with the same strings: a series key is built and looked up once
   * per run of points, not per point; and a request of one series (nearly every request) is
   * forwarded as the list it was read into, not copied point by point into a new one.
   */
  private static Map<String, List<MetricPoint>> bySeries(List<MetricPoint> points) {
    int run = 1;
    while (run < points.size() && sameSeries(points.get(run - 1), points.get(run))) {
      run++;
    }
    if (run == points.size()) {
      return points.isEmpty() ? Map.of() : Map.of(points.get(0).seriesKey(), points);
    }
    Map<String, List<MetricPoint>> bySeries = new LinkedHashMap<>();
    MetricPoint previous = null;
    List<MetricPoint> ofSeries = null;
    for (MetricPoint point : points) {
      if (!sameSeries(previous, point)) {
        ofSeries = bySeries.computeIfAbsent(point.seriesKey(), k -> new ArrayList<>());
      }
      ofSeries.add(point);
      previous = point;
    }
    return bySeries;
  }

  private static boolean sameSeries(MetricPoint a, MetricPoint b) {
    return a != null
        && a.service() == b.service()
        && a.namespace() == b.namespace()
        && a.cluster() == b.cluster();
  }
}
