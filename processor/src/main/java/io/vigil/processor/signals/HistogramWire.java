package io.vigil.processor.signals;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads an OTLP {@code ExportMetricsServiceRequest} without building its server-duration
 * histograms, which carry nearly all of an SDK's export: their points are read from the wire
 * ({@link HistogramPoints}) and the rest of the request is built by protobuf as before, for the
 * other decoders. Building every histogram point with its bucket lists took a seventh of the stream
 * thread (BENCHMARKS.md, "Histogram points read from the wire").
 *
 * <p>It reads what protobuf reads: fields in any order, repeated numbers packed or not, the last of
 * a repeated singular field, messages given twice merged, unknown fields skipped, strings checked
 * for UTF-8, and every message it does not read itself (exemplars, and a point's attributes unless
 * the same bytes were parsed before in the same stream: {@link PointLabelsCache}) parsed by
 * protobuf, so a request is refused exactly when protobuf would refuse it. A metric it is not sure
 * of (a second data field, a histogram given twice) is left to protobuf whole.
 */
final class HistogramWire {
  // Field numbers of opentelemetry/proto/metrics/v1/metrics.proto and metrics_service.proto.
  private static final int REQUEST_RESOURCE_METRICS = 1;
  private static final int RESOURCE = 1;
  private static final int SCOPE_METRICS = 2;
  private static final int SCHEMA_URL = 3;
  private static final int SCOPE = 1;
  private static final int METRICS = 2;
  private static final int NAME = 1;
  private static final int DESCRIPTION = 2;
  private static final int UNIT = 3;
  private static final int METADATA = 12;
  private static final int HISTOGRAM = 9;
  private static final Set<Integer> DATA_FIELDS = Set.of(5, 7, 9, 10, 11);
  private static final int DATA_POINTS = 1;
  private static final int TEMPORALITY = 2;

  private HistogramWire() {}

  /**
   * One server-duration histogram read from the wire: where it stands, and where its points are in
   * the request's bytes.
   *
   * @param source what its name makes it a source of
   * @param temporality the {@code AggregationTemporality} number as sent
   * @param points offset and length of each data point, in pairs
   */
  record Histogram(
      OtlpMetricsDecoder.Source source,
      String scopeName,
      String scopeVersion,
      String name,
      String unit,
      int temporality,
      int[] points) {}

  /**
   * A request read: {@code rest} holds everything but the histograms in {@code histograms} (one
   * list per resource, in the order of {@code rest}'s resources); {@code names} are the metric
   * names of each resource, both kinds.
   */
  record Scanned(
      ExportMetricsServiceRequest rest,
      List<List<Histogram>> histograms,
      List<Set<String>> names) {}

  /**
   * Reports the points of the {@link Source} metrics in the protobuf {@code bytes} of a request to
   * {@code sink}, as {@link OtlpMetricsDecoder#decode(ExportMetricsServiceRequest, PointSink)}
   * does, reading the explicit histograms from the wire; returns the request without those
   * histograms, for the decoders of its other metrics. What the points' attributes say is looked up
   * in, and added to, {@code cache}.
   *
   * @throws InvalidProtocolBufferException when {@code bytes} are not such a request (nothing is
   *     reported then)
   */
  static ExportMetricsServiceRequest decode(
      byte[] bytes, PointLabelsCache cache, PointSink<MetricPoint> sink)
      throws InvalidProtocolBufferException {
    Scanned scanned = scan(bytes);
    ExportMetricsServiceRequest rest = scanned.rest();
    // Every point read before any is reported: a request refused part-way counts nothing.
    List<OtlpMetricsDecoder.Origin> origins = new ArrayList<>();
    List<List<Read>> read = new ArrayList<>();
    for (int r = 0; r < rest.getResourceMetricsCount(); r++) {
      OtlpMetricsDecoder.Origin origin =
          OtlpMetricsDecoder.Origin.of(rest.getResourceMetrics(r).getResource());
      List<Read> histograms = new ArrayList<>();
      for (Histogram histogram : scanned.histograms().get(r)) {
        OtlpMetricsDecoder.Stream stream =
            OtlpMetricsDecoder.Stream.of(
                origin,
                histogram.scopeName(),
                histogram.scopeVersion(),
                histogram.name(),
                histogram.unit(),
                histogram.source(),
                OtlpMetricsDecoder.millisPerUnit(histogram.unit()),
                false);
        histograms.add(
            new Read(histogram, stream, HistogramPoints.read(bytes, histogram, stream, cache)));
      }
      origins.add(origin);
      read.add(histograms);
    }
    for (int r = 0; r < rest.getResourceMetricsCount(); r++) {
      Set<String> names = scanned.names().get(r);
      for (Read histogram : read.get(r)) {
        OtlpMetricsDecoder.Source source = histogram.histogram().source();
        if (source.supersededBy != null && names.contains(source.supersededBy)) {
          sink.skipped("superseded_metric");
          continue;
        }
        AggregationTemporality temporality =
            AggregationTemporality.forNumber(histogram.histogram().temporality());
        OtlpMetricsDecoder.BoundsInMillis inMillis = histogram.stream().boundsInMillis();
        for (HistogramPoints.Point p : histogram.points()) {
          OtlpMetricsDecoder.explicitPoint(histogram.stream(), temporality, p, inMillis, sink);
        }
      }
      OtlpMetricsDecoder.decode(rest.getResourceMetrics(r), origins.get(r), names, sink);
    }
    return rest;
  }

  /** A histogram of the request, its stream and its points. */
  private record Read(
      Histogram histogram, OtlpMetricsDecoder.Stream stream, List<HistogramPoints.Point> points) {}

  /** Reads {@code bytes}; a histogram named by {@link OtlpMetricsDecoder.Source} is left out. */
  static Scanned scan(byte[] bytes) throws InvalidProtocolBufferException {
    ExportMetricsServiceRequest.Builder rest = ExportMetricsServiceRequest.newBuilder();
    List<List<Histogram>> histograms = new ArrayList<>();
    List<Set<String>> names = new ArrayList<>();
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == lengthDelimited(REQUEST_RESOURCE_METRICS)) {
          int length = in.readRawVarint32();
          int offset = in.getTotalBytesRead();
          in.skipRawBytes(length);
          List<Histogram> found = new ArrayList<>();
          Set<String> resourceNames = new HashSet<>();
          rest.addResourceMetrics(resource(bytes, offset, length, found, resourceNames));
          histograms.add(found);
          names.add(resourceNames);
        } else {
          skip(in, tag);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
    return new Scanned(rest.build(), histograms, names);
  }

  private static ResourceMetrics resource(
      byte[] bytes, int offset, int length, List<Histogram> found, Set<String> names)
      throws IOException {
    ResourceMetrics.Builder rm = ResourceMetrics.newBuilder();
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == lengthDelimited(RESOURCE)) {
        Resource.Builder resource = rm.getResourceBuilder();
        int size = in.readRawVarint32();
        merge(resource, bytes, offset + at(in), size);
        in.skipRawBytes(size);
      } else if (tag == lengthDelimited(SCOPE_METRICS)) {
        int size = in.readRawVarint32();
        rm.addScopeMetrics(scope(bytes, offset + at(in), size, found, names));
        in.skipRawBytes(size);
      } else if (tag == lengthDelimited(SCHEMA_URL)) {
        rm.setSchemaUrl(in.readStringRequireUtf8());
      } else {
        skip(in, tag);
      }
    }
    return rm.build();
  }

  private static ScopeMetrics scope(
      byte[] bytes, int offset, int length, List<Histogram> found, Set<String> names)
      throws IOException {
    ScopeMetrics.Builder sm = ScopeMetrics.newBuilder();
    List<int[]> metrics = new ArrayList<>();
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == lengthDelimited(SCOPE)) {
        InstrumentationScope.Builder scope = sm.getScopeBuilder();
        int size = in.readRawVarint32();
        merge(scope, bytes, offset + at(in), size);
        in.skipRawBytes(size);
      } else if (tag == lengthDelimited(METRICS)) {
        int size = in.readRawVarint32();
        metrics.add(new int[] {offset + at(in), size});
        in.skipRawBytes(size);
      } else if (tag == lengthDelimited(SCHEMA_URL)) {
        sm.setSchemaUrl(in.readStringRequireUtf8());
      } else {
        skip(in, tag);
      }
    }
    // The scope comes first in what SDKs send, but may come after the metrics.
    InstrumentationScope scope = sm.getScope();
    for (int[] metric : metrics) {
      Histogram histogram = histogram(bytes, metric[0], metric[1], scope, names);
      if (histogram != null) {
        found.add(histogram);
      } else {
        merge(sm.addMetricsBuilder(), bytes, metric[0], metric[1]);
      }
    }
    return sm.build();
  }

  /**
   * The metric at {@code offset} as a {@link Histogram} when it is a server-duration histogram this
   * reader is sure of, else null (protobuf builds it); its name goes to {@code names} either way.
   */
  private static Histogram histogram(
      byte[] bytes, int offset, int length, InstrumentationScope scope, Set<String> names)
      throws IOException {
    String name = "";
    String unit = "";
    int dataFields = 0;
    int histogramOffset = -1;
    int histogramLength = 0;
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (tag == lengthDelimited(NAME)) {
        name = in.readStringRequireUtf8();
      } else if (tag == lengthDelimited(UNIT)) {
        unit = in.readStringRequireUtf8();
      } else if (tag == lengthDelimited(DESCRIPTION)) {
        in.readStringRequireUtf8(); // checked as protobuf would, not used
      } else if (tag == lengthDelimited(METADATA)) {
        int size = in.readRawVarint32();
        merge(KeyValue.newBuilder(), bytes, offset + at(in), size); // checked, not used
        in.skipRawBytes(size);
      } else if (DATA_FIELDS.contains(field)
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        dataFields++;
        int size = in.readRawVarint32();
        if (field == HISTOGRAM) {
          histogramOffset = offset + at(in);
          histogramLength = size;
        }
        in.skipRawBytes(size);
      } else {
        skip(in, tag);
      }
    }
    names.add(name);
    OtlpMetricsDecoder.Source source = OtlpMetricsDecoder.Source.of(name);
    if (dataFields != 1 || histogramOffset < 0 || source == null) {
      return null;
    }
    int temporality = 0;
    int[] points = new int[16];
    int n = 0;
    in = CodedInputStream.newInstance(bytes, histogramOffset, histogramLength);
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == lengthDelimited(DATA_POINTS)) {
        int size = in.readRawVarint32();
        if (n + 2 > points.length) {
          points = Arrays.copyOf(points, points.length * 2);
        }
        points[n++] = histogramOffset + at(in);
        points[n++] = size;
        in.skipRawBytes(size);
      } else if (tag == tag(TEMPORALITY, WireFormat.WIRETYPE_VARINT)) {
        temporality = in.readEnum();
      } else {
        skip(in, tag);
      }
    }
    return new Histogram(
        source,
        scope.getName(),
        scope.getVersion(),
        name,
        unit,
        temporality,
        Arrays.copyOf(points, n));
  }

  /**
   * Merges the message at {@code offset} into {@code builder}, refusing one that ends on an
   * end-group tag, as protobuf does with an embedded message.
   */
  private static void merge(Message.Builder builder, byte[] bytes, int offset, int length)
      throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    builder.mergeFrom(in);
    in.checkLastTagWas(0);
  }

  /** Skips an unknown field; an end-group tag, which no message here may hold, is refused. */
  static void skip(CodedInputStream in, int tag) throws IOException {
    if (!in.skipField(tag)) {
      throw new InvalidProtocolBufferException(
          "Protocol message end-group tag did not match expected tag.");
    }
  }

  /** Where {@code in} is, from the start of the bytes it was made over. */
  static int at(CodedInputStream in) {
    return in.getTotalBytesRead();
  }

  private static int lengthDelimited(int field) {
    return tag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
  }

  private static int tag(int field, int wireType) {
    return field << 3 | wireType;
  }
}
