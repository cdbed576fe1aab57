package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.TestRequests;
import io.vigil.collector.ingress.IngressService.Batch;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.otlp.OtlpJson;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * The wire-format scan against the full parse it stands in for: what the scan takes, the full parse
 * takes too, with the same records (topic, key, request) and count; plain requests do take the
 * scan; anything the full parse would change is left to it.
 */
class WireScanTest {
  private static final long SKEW = Duration.ofMinutes(2).toNanos();
  private final ReceiverMetrics metrics =
      new ReceiverMetrics(new PrometheusRegistry(), List.of("metrics", "logs", "traces"));

  private static Message sample(OtlpSignal signal) throws Exception {
    Message.Builder builder = signal.newRequestBuilder();
    OtlpJson.merge(TestRequests.fixture(OtlpInputFuzzTest.SAMPLES.get(signal)), builder);
    return builder.build();
  }

  /** {@code copies} requests one after the other: protobuf reads that as one with all resources. */
  private static byte[] repeated(byte[] request, int copies) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < copies; i++) {
      out.writeBytes(request);
    }
    return out.toByteArray();
  }

  private static long now() {
    return System.currentTimeMillis() * 1_000_000L;
  }

  private Batch full(OtlpSignal signal, byte[] body) throws Rejection {
    Message request = RequestDecoder.decode(signal, RequestDecoder.Encoding.PROTOBUF, body);
    return FutureTimes.batch(
        signal, request, body, SKEW, metrics, RequestDecoder.Encoding.PROTOBUF);
  }

  private void assertSame(OtlpSignal signal, Batch scanned, Batch full) throws Exception {
    assertThat(scanned.items()).as("items").isEqualTo(full.items());
    FutureTimes.Accepted answer = (FutureTimes.Accepted) full.answer();
    assertThat(answer.rejected()).isZero();
    assertThat(answer.message()).isNull();
    assertThat(scanned.records()).hasSameSizeAs(full.records());
    for (int i = 0; i < full.records().size(); i++) {
      SinkRecord a = scanned.records().get(i);
      SinkRecord b = full.records().get(i);
      assertThat(a.topic()).isEqualTo(b.topic());
      assertThat(new String(a.key(), "UTF-8")).isEqualTo(new String(b.key(), "UTF-8"));
      assertThat(signal.parseProtobuf(a.value())).isEqualTo(signal.parseProtobuf(b.value()));
    }
  }

  @Property(tries = 300)
  void plainRequestsTakeTheScanWithTheFullParsesRecords(
      @ForAll OtlpSignal signal, @ForAll @IntRange(min = 0, max = 4) int copies) throws Exception {
    byte[] body = repeated(sample(signal).toByteArray(), copies);

    Batch scanned = WireScan.batch(signal, body, now(), SKEW);

    assertThat(scanned).as("a plain request is read by the scan").isNotNull();
    assertSame(signal, scanned, full(signal, body));
    if (copies == 1) {
      assertThat(scanned.records().get(0).value()).as("stored as it came").isSameAs(body);
    }
  }

  /**
   * {@code body} damaged at {@code where}: cut, a bit flipped, bytes inserted, overwritten,
   * removed.
   */
  private static byte[] damaged(byte[] body, int how, int where, byte[] bytes) {
    int at = Math.floorMod(where, Math.max(1, body.length));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (how) {
      case 0 -> out.write(body, 0, at);
      case 1 -> {
        out.writeBytes(body);
        byte[] flipped = out.toByteArray();
        if (flipped.length > 0) {
          flipped[at] ^= (byte) (1 << Math.floorMod(where >>> 8, 8));
        }
        return flipped;
      }
      case 2 -> {
        out.write(body, 0, at);
        out.writeBytes(bytes);
        out.write(body, at, body.length - at);
      }
      case 3 -> {
        out.writeBytes(body);
        byte[] over = out.toByteArray();
        System.arraycopy(bytes, 0, over, at, Math.min(bytes.length, over.length - at));
        return over;
      }
      default -> {
        int end = Math.min(body.length, at + 1 + Math.floorMod(where >>> 4, 16));
        out.write(body, 0, at);
        out.write(body, end, body.length - end);
      }
    }
    return out.toByteArray();
  }

  @Property(tries = 4000)
  void whatTheScanTakesTheFullParseTakesAlike(
      @ForAll OtlpSignal signal,
      @ForAll @IntRange(min = 1, max = 2) int copies,
      @ForAll @IntRange(min = 0, max = 4) int how,
      @ForAll int where,
      @ForAll @Size(max = 6) byte[] bytes)
      throws Exception {
    byte[] body = damaged(repeated(sample(signal).toByteArray(), copies), how, where, bytes);

    Batch scanned = WireScan.batch(signal, body, now(), SKEW);
    Statistics.collect(scanned == null ? "left to the full parse" : "scanned");
    if (scanned == null) {
      return; // left to the full parse, which accepts or refuses it as before
    }

    Batch full;
    try {
      full = full(signal, body);
    } catch (Rejection e) {
      throw new AssertionError("the scan took what the full parse refuses: " + e.getMessage(), e);
    }
    assertSame(signal, scanned, full);
  }

  @Property(tries = 2000)
  void validatesUtf8AsTheJdkDoes(@ForAll @Size(max = 8) byte[] bytes) {
    boolean jdk;
    try {
      java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
      jdk = true;
    } catch (java.nio.charset.CharacterCodingException e) {
      jdk = false;
    }

    assertThat(WireScan.validUtf8(bytes, 0, bytes.length)).isEqualTo(jdk);
  }

  @Example
  void leavesToTheFullParseWhatItWouldChange() throws Exception {
    ExportMetricsServiceRequest plain = (ExportMetricsServiceRequest) sample(OtlpSignal.METRICS);
    ExportMetricsServiceRequest.Builder future = plain.toBuilder();
    future.getResourceMetricsBuilder(0).getScopeMetricsBuilder(0).getMetricsBuilderList().stream()
        .filter(m -> m.hasGauge())
        .findFirst()
        .orElseThrow()
        .getGaugeBuilder()
        .getDataPointsBuilder(0)
        .setTimeUnixNano(now() + Duration.ofHours(1).toNanos());
    ExportMetricsServiceRequest.Builder badExemplar = plain.toBuilder();
    badExemplar
        .getResourceMetricsBuilder(0)
        .getScopeMetricsBuilder(0)
        .getMetricsBuilderList()
        .stream()
        .filter(m -> m.hasGauge())
        .findFirst()
        .orElseThrow()
        .getGaugeBuilder()
        .getDataPointsBuilder(0)
        .addExemplars(Exemplar.newBuilder().setAsInt(1).setTraceId(bytes(3)));
    ExportMetricsServiceRequest.Builder twoNames = plain.toBuilder();
    twoNames
        .getResourceMetricsBuilder(0)
        .getResourceBuilder()
        .addAttributes(
            KeyValue.newBuilder()
                .setKey("service.name")
                .setValue(AnyValue.newBuilder().setStringValue("other")));

    assertThat(WireScan.batch(OtlpSignal.METRICS, plain.toByteArray(), now(), SKEW)).isNotNull();
    for (ExportMetricsServiceRequest.Builder changed : List.of(future, badExemplar, twoNames)) {
      assertThat(WireScan.batch(OtlpSignal.METRICS, changed.build().toByteArray(), now(), SKEW))
          .isNull();
    }
  }

  private static com.google.protobuf.ByteString bytes(int n) {
    return com.google.protobuf.ByteString.copyFrom(new byte[n]);
  }
}
