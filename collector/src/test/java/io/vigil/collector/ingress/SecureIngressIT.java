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
import io.vigil.model.tls.SecretVolume;
import io.vigil.model.web.TestPki;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens per sender on OTLP/HTTP and OTLP/gRPC (the OpenTelemetry SDK's exporter sends its
 * header), TLS and mutual TLS with certificates made by the JDK's keytool, a certificate rotated on
 * disk while the receivers run.
 */
class SecureIngressIT {
  private static final byte[] BODY = TestRequests.metrics(2, "checkout").toByteArray();

  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir static Path certs;
  @TempDir Path rotated;
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

  @Test
  void newHandshakesGetARotatedCertificateAndABrokenOneIsRefused() throws Exception {
    TestPki.Issued ca = TestPki.ca("test-ca");
    TestPki.Issued first = TestPki.issue(ca, "collector");
    TestPki.Issued second = TestPki.issue(ca, "collector");
    TestPki.Issued third = TestPki.issue(ca, "collector");
    SecretVolume secret = new SecretVolume(Files.createDirectory(rotated.resolve("secret")));
    secret.update(first);
    TlsSettings tls = new TlsSettings(secret.cert().toString(), secret.key().toString(), null);
    receiver =
        ReceiversUnderTest.start(
            SecureIngressIT::stored,
            new OtlpHttpSettings(null, "127.0.0.1", 0, null, null, tls),
            new OtlpGrpcSettings(null, "127.0.0.1", 0, null, null, tls));
    assertThat(servedSerial(ca, receiver.httpPort())).isEqualTo(first.cert().getSerialNumber());
    assertThat(servedSerial(ca, receiver.grpcPort())).isEqualTo(first.cert().getSerialNumber());

    secret.update(second); // as the kubelet does when cert-manager renews the Secret

    awaitServed(ca, receiver.httpPort(), second);
    awaitServed(ca, receiver.grpcPort(), second);
    HttpResponse<String> sent =
        HttpClient.newBuilder()
            .sslContext(TestPki.clientContext(ca, null))
            .build()
            .send(
                post(URI.create("https://127.0.0.1:" + receiver.httpPort() + "/v1/metrics"), null),
                HttpResponse.BodyHandlers.ofString());
    assertThat(sent.statusCode()).isEqualTo(200);

    // A new certificate beside the old key: refused, counted, the second still served.
    Path next = rotated.resolve("tls.crt.next");
    TestPki.writeCert(next, third.cert());
    Files.move(next, secret.cert().toRealPath(), StandardCopyOption.ATOMIC_MOVE);
    long deadline = System.nanoTime() + WAIT.toNanos();
    String refused =
        "vigil_collector_tls_reload_failures_total{reason=\"key_mismatch\",server=\"otlp_http\"}"
            + " 1.0";
    while (!receiver.scrape().contains(refused)) {
      assertThat(System.nanoTime()).as("the refused reload counted").isLessThan(deadline);
      assertThat(servedSerial(ca, receiver.httpPort())).isEqualTo(second.cert().getSerialNumber());
      Thread.sleep(100); // between handshakes; the files are looked at once a second at most
    }
    assertThat(servedSerial(ca, receiver.httpPort())).isEqualTo(second.cert().getSerialNumber());
  }

  private static void awaitServed(TestPki.Issued ca, int port, TestPki.Issued expected)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!servedSerial(ca, port).equals(expected.cert().getSerialNumber())) {
      assertThat(System.nanoTime()).as("the rotated certificate served").isLessThan(deadline);
      Thread.sleep(100); // between handshakes; the files are looked at once a second at most
    }
  }

  /** The serial of the certificate a new connection gets (a new client: nothing resumed). */
  private static BigInteger servedSerial(TestPki.Issued ca, int port) throws Exception {
    try (SSLSocket socket =
        (SSLSocket)
            TestPki.clientContext(ca, null).getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
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
