package io.vigil.collector.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.TestRequests;
import io.vigil.collector.ingress.BearerAuth;
import io.vigil.collector.ingress.InFlightBytes;
import io.vigil.collector.ingress.IngressService.Batch;
import io.vigil.collector.ingress.Peers;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Receiving;
import io.vigil.collector.ingress.Rejection;
import io.vigil.collector.ingress.SenderRateLimits;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.embedded.fuzz.Damage;
import io.vigil.model.otlp.OtlpJson;
import io.vigil.model.web.BearerTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The OTLP/HTTP receiver's whole parse (decode, ids, clock guard, split into records) under hostile
 * input: the real OTLP/JSON samples, and their protobuf encodings, truncated, bit-flipped and
 * spliced. The property: a refusal a sender can act on (400, 413 or 415 with a message) or a batch
 * whose every record is a valid OTLP protobuf request of the signal, for its signal's topic — never
 * another exception, and never a record the processor could not read.
 */
class OtlpInputFuzzTest {
  /** The real OTLP/JSON samples, by signal. */
  static final Map<OtlpSignal, String> SAMPLES =
      Map.of(
          OtlpSignal.METRICS, "fixtures/otlp/metrics.json",
          OtlpSignal.LOGS, "fixtures/otlp/logs.json",
          OtlpSignal.TRACES, "fixtures/otlp/trace.json");

  private final Receiving receiving =
      new Receiving(
          records -> CompletableFuture.completedFuture(null),
          new ReceiverMetrics(new PrometheusRegistry(), List.of("metrics", "logs", "traces")),
          BearerAuth.of(BearerTokens.of(Map.of())),
          new InFlightBytes(1L << 30),
          SenderRateLimits.NONE,
          Peers.none());

  @Provide
  Arbitrary<String> splices() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(12),
        Arbitraries.of(
            "{",
            "}",
            "[",
            "]",
            ":",
            ",",
            "\"",
            "\\u0000",
            "\\",
            "null",
            "1e999",
            "-1",
            "\"timeUnixNano\":\"99999999999999999999\"",
            "\"traceId\":\"zz\"",
            "\"asInt\":\"x\"",
            "{\"a\":",
            "\uFFFF",
            "\u0000",
            "NaN",
            "[[[[[[[[[["));
  }

  @Property(tries = 1500)
  void anOtlpRequestIsStoredAsValidProtobufOrRefusedWithAReason(
      @ForAll OtlpSignal signal,
      @ForAll boolean protobuf,
      @ForAll Damage how,
      @ForAll int where,
      @ForAll("splices") String inserted)
      throws Exception {
    byte[] json = TestRequests.fixture(SAMPLES.get(signal));
    byte[] input = json;
    if (protobuf) {
      Message.Builder builder = signal.newRequestBuilder();
      OtlpJson.merge(json, builder);
      input = builder.build().toByteArray();
    }
    byte[] body = how.apply(input, where, inserted);
    RequestHeaders headers =
        RequestHeaders.of(
            HttpMethod.POST,
            signal.path(),
            HttpHeaderNames.CONTENT_TYPE,
            protobuf ? "application/x-protobuf" : "application/json");
    OtlpHttpService service =
        new OtlpHttpService(signal, 4 << 20, Duration.ofMinutes(2), receiving);

    Batch batch;
    try {
      batch = service.parse(headers, body);
    } catch (Rejection rejection) {
      assertThat(rejection.httpStatus()).isIn(400, 413, 415);
      assertThat(rejection.getMessage()).isNotBlank();
      return;
    }
    for (SinkRecord record : batch.records()) {
      assertThat(record.topic()).isEqualTo(signal.topic());
      try {
        signal.parseProtobuf(record.value());
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError("stored a record the processor cannot read: " + e, e);
      }
    }
  }
}
