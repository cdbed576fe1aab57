package io.vigil.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor's admin port with a {@code web_config_file} (Prometheus' and Alertmanager's
 * format): {@code /metrics} and {@code /api/signals} ask for credentials and count refusals, the
 * probes stay open; a file that cannot be used stops the start naming it.
 */
@WithKafka
class ProcessorAdminSecurityIT {
  /** Alice's password "password", bcrypt-hashed as htpasswd or Python's bcrypt would. */
  private static final String ALICE =
      OpenBSDBCrypt.generate("2y", "password".toCharArray(), new byte[16], 10);

  private final HttpClient http = HttpClient.newHttpClient();

  private static ProcessorConfig config(EmbeddedKafka kafka, Path dir, Path web) {
    return ConfigLoader.load(
        "kafka: {bootstrap_servers: '%s'}\nstate_dir: '%s'\nadmin: {host: 127.0.0.1, port: 0}\nweb_config_file: '%s'\n"
            .formatted(kafka.bootstrapServers(), dir.resolve("state"), web),
        Map.of(),
        ProcessorConfig.class);
  }

  @Test
  void asksForCredentialsExceptOnProbes(EmbeddedKafka kafka, @TempDir Path dir) throws Exception {
    Path web =
        Files.writeString(dir.resolve("web.yml"), "basic_auth_users: {alice: " + ALICE + "}\n");
    try (ProcessorService processor =
        ProcessorService.start(config(kafka, dir, web), new PrometheusRegistry())) {
      int port = processor.adminPort();
      assertThat(get(port, "/metrics", null).statusCode()).isEqualTo(401);
      assertThat(get(port, "/api/signals", null).statusCode()).isEqualTo(401);
      assertThat(get(port, "/healthz", null).statusCode()).isEqualTo(200);
      assertThat(get(port, "/readyz", null).statusCode()).isIn(200, 503);
      assertThat(get(port, "/metrics", "wrong").statusCode()).isEqualTo(401);

      HttpResponse<String> allowed = get(port, "/metrics", "password");
      assertThat(allowed.statusCode()).isEqualTo(200);
      assertThat(allowed.body())
          .contains("vigil_processor_api_auth_failures_total{reason=\"missing\"} 2.0")
          .contains("vigil_processor_api_auth_failures_total{reason=\"invalid_basic\"} 1.0");
      assertThat(get(port, "/api/signals", "password").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aWebConfigThatCannotBeUsedStopsTheStartNamingIt(EmbeddedKafka kafka, @TempDir Path dir)
      throws Exception {
    Path web = Files.writeString(dir.resolve("web.yml"), "basic_auth_users: {alice: plain}\n");
    Assertions.assertThatThrownBy(
            () -> ProcessorService.start(config(kafka, dir, web), new PrometheusRegistry()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("web_config_file")
        .hasMessageContaining(web.toString())
        .hasMessageContaining("alice");
  }

  private HttpResponse<String> get(int port, String path, String alicesPassword) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (alicesPassword != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(("alice:" + alicesPassword).getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
