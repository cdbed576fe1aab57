package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.json.Json;
import io.vigil.model.web.TestPki;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerting API over HTTPS with Alertmanager's web configuration, called with the JDK's HTTP
 * client as a user or Prometheus would: credentials required on the API and {@code /metrics}, not
 * on the probes; bcrypt basic auth and named bearer tokens; a silence records who made it; a client
 * without a certificate is turned away when mutual TLS is required. Certificates are made by the
 * test ({@link TestPki}); the server listens on 127.0.0.1 only.
 */
@WithKafka
@WithSlackSink
class ApiAuthIT {
  private static final String PASSWORD = "correct horse battery staple";
  private static final String TOKEN = "prom-" + Long.toHexString(new SecureRandom().nextLong());

  @Test
  void theApiRequiresBasicAuthOrABearerTokenAndSilencesRecordWhoMadeThem(
      EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir) throws Exception {
    TestPki.Issued ca = TestPki.ca("vigil test ca");
    writeServer(dir, ca);
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    String hash = OpenBSDBCrypt.generate("2y", PASSWORD.toCharArray(), salt, 10);
    Files.writeString(dir.resolve("tokens"), "prometheus " + TOKEN + "\n");
    Path web =
        Files.writeString(
            dir.resolve("web.yml"),
            """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            basic_auth_users:
              alice: %s
            bearer_tokens_file: tokens
            """
                .formatted(hash));
    AlertingConfig config = config(kafka, slack, dir).withWebConfigFile(web);
    PrometheusRegistry registry = new PrometheusRegistry();

    try (AlertingService service = AlertingService.start(config, registry)) {
      HttpClient http = client(TestPki.clientContext(ca, null));
      String base = "https://127.0.0.1:" + service.adminPort();

      HttpResponse<String> none = get(http, base + "/api/v2/silences", null);
      assertThat(none.statusCode()).isEqualTo(401);
      assertThat(none.headers().allValues("WWW-Authenticate"))
          .containsExactlyInAnyOrder("Basic realm=\"vigil\"", "Bearer realm=\"vigil\"");
      assertThat(get(http, base + "/api/v2/alerts", basic("alice", "wrong")).statusCode())
          .as("wrong password")
          .isEqualTo(401);
      assertThat(get(http, base + "/api/v2/alerts", basic("mallory", PASSWORD)).statusCode())
          .as("unknown user")
          .isEqualTo(401);
      assertThat(get(http, base + "/api/v2/alerts", "Bearer not-the-token").statusCode())
          .isEqualTo(401);

      HttpResponse<String> asAlice = get(http, base + "/api/v2/alerts", basic("alice", PASSWORD));
      assertThat(asAlice.statusCode()).as(asAlice.body()).isEqualTo(200);
      assertThat(Json.mapper().readTree(asAlice.body()).isArray()).isTrue();
      assertThat(get(http, base + "/api/v2/silences", "Bearer " + TOKEN).statusCode())
          .isEqualTo(200);

      // Probes stay open for kubelet; metrics need credentials like the API.
      assertThat(get(http, base + "/healthz", null).statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/metrics", null).statusCode()).isEqualTo(401);
      HttpResponse<String> metrics = get(http, base + "/metrics", "Bearer " + TOKEN);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body())
          .contains("vigil_alerting_api_auth_failures_total{reason=\"missing\"} 2.0")
          .contains("vigil_alerting_api_auth_failures_total{reason=\"invalid_basic\"} 2.0")
          .contains("vigil_alerting_api_auth_failures_total{reason=\"invalid_bearer\"} 1.0")
          .doesNotContain(TOKEN);

      String byAlice =
          createSilence(http, base, basic("alice", PASSWORD), "someone-else", "checkout");
      String byToken = createSilence(http, base, "Bearer " + TOKEN, "prometheus-bot", "cart");
      JsonNode aliceSilence = silence(http, base, byAlice, "Bearer " + TOKEN);
      assertThat(aliceSilence.get("createdBy").asText())
          .as("Alertmanager's createdBy, as the client gave it")
          .isEqualTo("someone-else");
      assertThat(aliceSilence.get("principal").asText()).isEqualTo("basic:alice");
      assertThat(silence(http, base, byToken, "Bearer " + TOKEN).get("principal").asText())
          .isEqualTo("bearer:prometheus");

      HttpResponse<String> anonymousPost =
          post(http, base + "/api/v2/silences", silenceJson("x", "y", "c"), null);
      assertThat(anonymousPost.statusCode()).isEqualTo(401);

      HttpClient plain = HttpClient.newHttpClient();
      assertThatThrownBy(
              () -> get(plain, "http://127.0.0.1:" + service.adminPort() + "/healthz", null))
          .as("plain HTTP to the HTTPS port")
          .isInstanceOf(IOException.class);

      // The Secret is rotated in place: the new token works within seconds, the old one no more.
      String rotated = TOKEN + "-rotated";
      Files.writeString(dir.resolve("tokens"), "prometheus " + rotated + "\n# rotated\n");
      awaitStatus(http, base + "/api/v2/alerts", "Bearer " + rotated, 200);
      assertThat(get(http, base + "/api/v2/alerts", "Bearer " + TOKEN).statusCode()).isEqualTo(401);
      // A broken file is refused and counted; the tokens in use stay.
      Files.writeString(dir.resolve("tokens"), "prometheus " + rotated + " trailing words\n");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      String counted = "vigil_alerting_api_token_reload_failures_total 1.0";
      while (!get(http, base + "/metrics", "Bearer " + rotated).body().contains(counted)) {
        assertThat(System.nanoTime()).as("the refused change counted in 30 s").isLessThan(deadline);
        Thread.sleep(100); // polling with a deadline
      }
      assertThat(get(http, base + "/api/v2/alerts", "Bearer " + rotated).statusCode())
          .isEqualTo(200);
    }
  }

  /** Polls {@code url} with {@code authorization} until it answers {@code status}, for 30 s. */
  private static void awaitStatus(HttpClient http, String url, String authorization, int status)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (get(http, url, authorization).statusCode() != status) {
      assertThat(System.nanoTime()).as("%s answering %d in 30 s", url, status).isLessThan(deadline);
      Thread.sleep(100); // polling with a deadline
    }
  }

  @Test
  void mutualTlsRefusesAClientWithoutAVerifiedCertificate(
      EmbeddedKafka kafka, SlackSink slack, @TempDir Path dir) throws Exception {
    TestPki.Issued serverCa = TestPki.ca("vigil server ca");
    writeServer(dir, serverCa);
    TestPki.Issued clientCa = TestPki.ca("vigil client ca");
    TestPki.writeCert(dir.resolve("clients-ca.crt"), clientCa.cert());
    Path web =
        Files.writeString(
            dir.resolve("web.yml"),
            """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: clients-ca.crt
            """);
    AlertingConfig config = config(kafka, slack, dir).withWebConfigFile(web);

    try (AlertingService service = AlertingService.start(config, new PrometheusRegistry())) {
      String base = "https://127.0.0.1:" + service.adminPort();

      HttpClient noCert = client(TestPki.clientContext(serverCa, null));
      assertThatThrownBy(() -> get(noCert, base + "/api/v2/alerts", null))
          .as("no client certificate")
          .isInstanceOf(IOException.class);
      TestPki.Issued stranger = TestPki.issue(TestPki.ca("another ca"), "stranger");
      HttpClient wrongCa = client(TestPki.clientContext(serverCa, stranger));
      assertThatThrownBy(() -> get(wrongCa, base + "/api/v2/alerts", null))
          .as("a certificate from a CA the server does not trust")
          .isInstanceOf(IOException.class);

      HttpClient ops = client(TestPki.clientContext(serverCa, TestPki.issue(clientCa, "ops")));
      assertThat(get(ops, base + "/api/v2/alerts", null).statusCode()).isEqualTo(200);
      String id = createSilence(ops, base, null, "oncall", "checkout");
      assertThat(silence(ops, base, id, null).get("principal").asText())
          .as("the verified certificate's subject")
          .isEqualTo("cert:CN=ops");
    }
  }

  private static AlertingConfig config(EmbeddedKafka kafka, SlackSink slack, Path dir)
      throws Exception {
    return ServiceTestKit.withoutElasticsearch(kafka, slack, dir, "{receiver: r}");
  }

  private static void writeServer(Path dir, TestPki.Issued ca) throws Exception {
    TestPki.Issued server = TestPki.issue(ca, "vigil-alerting");
    TestPki.writeCert(dir.resolve("server.crt"), server.cert());
    TestPki.writeKey(dir.resolve("server.key"), server.keys().getPrivate());
  }

  private static HttpClient client(SSLContext context) {
    return HttpClient.newBuilder()
        .sslContext(context)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> get(HttpClient http, String url, String authorization)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(
      HttpClient http, String url, String body, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String createSilence(
      HttpClient http, String base, String authorization, String createdBy, String service)
      throws Exception {
    HttpResponse<String> created =
        post(
            http,
            base + "/api/v2/silences",
            silenceJson(service, createdBy, "maintenance"),
            authorization);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    return Json.mapper().readTree(created.body()).get("silenceID").asText();
  }

  private static JsonNode silence(HttpClient http, String base, String id, String authorization)
      throws Exception {
    HttpResponse<String> read = get(http, base + "/api/v2/silence/" + id, authorization);
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    return Json.mapper().readTree(read.body());
  }

  private static String silenceJson(String service, String createdBy, String comment)
      throws Exception {
    return Json.mapper()
        .writeValueAsString(
            Map.of(
                "matchers",
                List.of(Map.of("name", "service", "value", service, "isRegex", false)),
                "startsAt",
                Instant.now().toString(),
                "endsAt",
                Instant.now().plus(Duration.ofHours(1)).toString(),
                "createdBy",
                createdBy,
                "comment",
                comment,
                "principal",
                "forged:by-the-client"));
  }
}
