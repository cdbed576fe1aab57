package io.vigil.model.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class OtlpJsonTest {

  private static byte[] fixture() throws Exception {
    try (InputStream in = OtlpJsonTest.class.getResourceAsStream("/fixtures/otlp/metrics.json")) {
      return in.readAllBytes();
    }
  }

  @Test
  void decodesTheSpecExample() throws Exception {
    ExportMetricsServiceRequest.Builder builder = ExportMetricsServiceRequest.newBuilder();

    OtlpJson.merge(fixture(), builder);

    ExportMetricsServiceRequest request = builder.build();
    assertThat(request.getResourceMetricsCount()).isEqualTo(1);
    assertThat(OtlpAttributes.serviceName(request.getResourceMetrics(0).getResource()))
        .isEqualTo("my.service");
    assertThat(request.getResourceMetrics(0).getScopeMetrics(0).getMetricsList())
        .extracting(Metric::getName)
        .contains("my.counter", "my.gauge", "my.histogram");
  }

  @Test
  void readsHexTraceIdsOfExemplars() throws Exception {
    String json =
        """
        {"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[
          {"asInt":"3","exemplars":[{"asInt":"3","traceId":"5b8efff798038103d269b633813fc60c",
           "spanId":"eee19b7ec3c1b174"}]}]}}]}]}]}
        """;
    ExportMetricsServiceRequest.Builder builder = ExportMetricsServiceRequest.newBuilder();

    OtlpJson.merge(json.getBytes(StandardCharsets.UTF_8), builder);

    var exemplar =
        builder
            .getResourceMetrics(0)
            .getScopeMetrics(0)
            .getMetrics(0)
            .getGauge()
            .getDataPoints(0)
            .getExemplars(0);
    assertThat(HexFormat.of().formatHex(exemplar.getTraceId().toByteArray()))
        .isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(exemplar.getAsInt()).isEqualTo(3);
  }

  @Test
  void namesWhatIsWrongWithABadBody() {
    assertThatThrownBy(
            () ->
                OtlpJson.merge(
                    "{\"resourceMetrics\": [".getBytes(), ExportMetricsServiceRequest.newBuilder()))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(
            () -> OtlpJson.merge("[1,2]".getBytes(), ExportMetricsServiceRequest.newBuilder()))
        .hasMessageContaining("must be a JSON object");
    String badId =
        "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"gauge\":{\"dataPoints\":[{\"exemplars\":[{\"spanId\":\"zz\"}]}]}}]}]}]}";
    assertThatThrownBy(
            () -> OtlpJson.merge(badId.getBytes(), ExportMetricsServiceRequest.newBuilder()))
        .hasMessageContaining("spanId")
        .hasMessageContaining("zz");
    assertThatThrownBy(
            () ->
                OtlpJson.merge(
                    "{\"resourceMetrics\":\"nope\"}".getBytes(),
                    ExportMetricsServiceRequest.newBuilder()))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }
}
