package io.vigil.collector.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.vigil.collector.ReceiversUnderTest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.otlp.OtlpGrpcSettings;
import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.embedded.tls.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens per sender on OTLP/HTTP and OTLP/gRPC (the OpenTelemetry SDK's exporter sends its
 * header), TLS and mutual TLS with certificates made by the JDK's keytool.
 */
class SecureIngressIT {
  private static final byte[] BODY = TestRequests.metrics(2, "checkout").toByteArray();

  @TempDir static Path certs;
  private ReceiversUnderTest receiver;

  @BeforeAll
  static void makeCertificates() throws Exception {
    TestCertificates.make(certs, "server", "client");
  }

  private static KeyStore store(String name) throws Exception {
    return TestCertificates.keyStore(certs, name);
  }

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.close();
    }
  }

  private static CompletableFuture<Void> stored(
      java.util.List<io.vigil.collector.sink.SinkRecord> r) {
    return CompletableFuture.completedFuture(null);
  }

  @Test
  void onlySendersWithAKnownTokenAreServed() throws Exception {
    receiver =
        ReceiversUnderTest.start(
            SecureIngressIT::stored,
            OtlpHttpSettings.of("127.0.0.1", 0),
            OtlpGrpcSettings.of("127.0.0.1", 0),
            Map.of("checkout", "s3cret-token", "payments", "other-token"));
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + receiver.httpPort() + "/v1/metrics");

    HttpResponse<String> none = http.send(post(uri, null), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> wrong =
        http.send(post(uri, "Bearer s3cret-tokeN"), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> right =
        http.send(post(uri, "Bearer s3cret-token"), HttpResponse.BodyHandlers.ofString());

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"vigil\"");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(right.statusCode()).isEqualTo(200);
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"unauthenticated\",signal=\"metrics\",transport=\"http\"} 2.0")
        .doesNotContain("s3cret");

    // The SDK's exporter sends its Authorization header as gRPC metadata. (Its forceFlush does not
    // report a failed export, so what the collector answered is read from the collector.)
    grpcExport("Bearer other-token");
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_total{signal=\"metrics\",status=\"OK\",transport=\"grpc\"}")
        .doesNotContain("status=\"UNAUTHENTICATED\"");
    grpcExport(null);
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_total{signal=\"metrics\",status=\"UNAUTHENTICATED\",transport=\"grpc\"}");
  }

  private void grpcExport(String authorization) {
    var exporter =
        OtlpGrpcMetricExporter.builder()
            .setEndpoint("http://127.0.0.1:" + receiver.grpcPort())
            .setTimeout(Duration.ofSeconds(10));
    if (authorization != null) {
      exporter.addHeader("Authorization", authorization);
    }
    SdkMeterProvider meters =
        SdkMeterProvider.builder()
            .registerMetricReader(
                PeriodicMetricReader.builder(exporter.build())
                    .setInterval(Duration.ofHours(1))
                    .build())
            .build();
    try {
      meters
          .get("test")
          .counterBuilder("c")
          .build()
          .add(1, Attributes.of(AttributeKey.stringKey("k"), "v"));
      meters.forceFlush().join(20, TimeUnit.SECONDS);
    } finally {
      meters.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void servesTlsAndRequiresAClientCertificateWhenAskedTo() throws Exception {
    TlsSettings tls =
        new TlsSettings(
            certs.resolve("server.crt").toString(),
            certs.resolve("server.key").toString(),
            certs.resolve("client.crt").toString());
    receiver =
        ReceiversUnderTest.start(
            SecureIngressIT::stored,
            new OtlpHttpSettings(null, "127.0.0.1", 0, null, null, tls),
            OtlpGrpcSettings.of("127.0.0.1", 0));
    URI uri = URI.create("https://127.0.0.1:" + receiver.httpPort() + "/v1/metrics");

    HttpResponse<String> withCertificate =
        client(true).send(post(uri, null), HttpResponse.BodyHandlers.ofString());
    assertThat(withCertificate.statusCode()).isEqualTo(200);
    assertThatThrownBy(
            () -> client(false).send(post(uri, null), HttpResponse.BodyHandlers.ofString()))
        .as("no client certificate: the handshake fails")
        .isInstanceOf(IOException.class);
  }

  private static HttpClient client(boolean withCertificate) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("server", store("server").getCertificate("server"));
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext ssl = SSLContext.getInstance("TLS");
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store("client"), TestCertificates.PASSWORD.toCharArray());
    ssl.init(withCertificate ? keys.getKeyManagers() : null, trust.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpRequest post(URI uri, String authorization) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/x-protobuf")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofByteArray(BODY));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return request.build();
  }
}
