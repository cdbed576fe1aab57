package io.vigil.model.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.tls.SecretVolume;
import io.vigil.model.tls.TlsReloadFailures;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A web_config_file's certificate, key and client CAs rotated on disk while the server runs: new
 * handshakes get the new ones without a restart; a replacement that does not make a pair is refused
 * and counted while the old certificate is still served.
 */
class CertificateReloadIT {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private HttpsServer server;
  private TestPki.Issued ca;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void newHandshakesGetTheCertificateOfARotatedSecret() throws Exception {
    ca = TestPki.ca("test-ca");
    TestPki.Issued first = TestPki.issue(ca, "admin");
    TestPki.Issued second = TestPki.issue(ca, "admin");
    SecretVolume secret = new SecretVolume(Files.createDirectory(dir.resolve("secret")));
    secret.update(first);
    start("tls_server_config: {cert_file: secret/tls.crt, key_file: secret/tls.key}\n");
    assertThat(servedSerial()).isEqualTo(first.cert().getSerialNumber());

    secret.update(second);

    awaitTrue("the rotated certificate served", () -> serves(second));
    assertThat(failures()).doesNotContain("vigil_test_tls_reload_failures_total{");
  }

  @Test
  void anEcCertificateRotatesToAnRsaOneOverTls12AndTls13() throws Exception {
    ca = TestPki.ca("test-ca");
    TestPki.Issued ec = TestPki.issue(ca, "admin");
    TestPki.Issued rsa = TestPki.issueRsa(ca, "admin");
    SecretVolume secret = new SecretVolume(Files.createDirectory(dir.resolve("secret")));
    secret.update(ec);
    start(
        "tls_server_config: {cert_file: secret/tls.crt, key_file: secret/tls.key,"
            + " min_version: TLS12}\n");
    assertThat(servedSerial("TLSv1.2")).isEqualTo(ec.cert().getSerialNumber());

    secret.update(rsa);

    awaitTrue("the RSA certificate served", () -> serves(rsa));
    assertThat(servedSerial("TLSv1.2")).isEqualTo(rsa.cert().getSerialNumber());
  }

  @Test
  void aReplacementThatIsNotAPairIsRefusedCountedAndTheOldCertificateKept() throws Exception {
    ca = TestPki.ca("test-ca");
    TestPki.Issued first = TestPki.issue(ca, "admin");
    TestPki.Issued second = TestPki.issue(ca, "admin");
    TestPki.writeCert(dir.resolve("server.crt"), first.cert());
    TestPki.writeKey(dir.resolve("server.key"), first.keys().getPrivate());
    start("tls_server_config: {cert_file: server.crt, key_file: server.key}\n");

    // A new certificate beside the old key (the key not yet written).
    replace("server.crt", f -> TestPki.writeCert(f, second.cert()));
    awaitTrue(
        "the mismatch counted",
        () ->
            serves(first)
                && failures()
                    .contains(
                        "vigil_test_tls_reload_failures_total{reason=\"key_mismatch\",server=\"admin\"} 1.0"));
    assertThat(servedSerial()).isEqualTo(first.cert().getSerialNumber());

    // Half a certificate.
    String pem = Files.readString(dir.resolve("server.crt"));
    replace("server.crt", f -> Files.writeString(f, pem.substring(0, pem.length() / 2)));
    awaitTrue(
        "the truncated file counted",
        () ->
            serves(first)
                && failures()
                    .contains(
                        "vigil_test_tls_reload_failures_total{reason=\"invalid\",server=\"admin\"} 1.0"));
    assertThat(servedSerial()).isEqualTo(first.cert().getSerialNumber());

    // The pair completed: taken.
    replace("server.crt", f -> TestPki.writeCert(f, second.cert()));
    replace("server.key", f -> TestPki.writeKey(f, second.keys().getPrivate()));
    awaitTrue("the completed pair served", () -> serves(second));
  }

  @Test
  void rotatedClientCasVerifyTheNextClients() throws Exception {
    ca = TestPki.ca("test-ca");
    TestPki.Issued serverCert = TestPki.issue(ca, "admin");
    TestPki.Issued oldClientCa = TestPki.ca("old-client-ca");
    TestPki.Issued newClientCa = TestPki.ca("new-client-ca");
    TestPki.Issued oldClient = TestPki.issue(oldClientCa, "old-client");
    TestPki.Issued newClient = TestPki.issue(newClientCa, "new-client");
    TestPki.writeCert(dir.resolve("server.crt"), serverCert.cert());
    TestPki.writeKey(dir.resolve("server.key"), serverCert.keys().getPrivate());
    TestPki.writeCert(dir.resolve("clients.crt"), oldClientCa.cert());
    start(
        """
        tls_server_config:
          cert_file: server.crt
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: clients.crt
        """);
    assertThat(answers(oldClient)).isTrue();
    assertThat(answers(newClient)).isFalse();

    replace("clients.crt", f -> TestPki.writeCert(f, newClientCa.cert()));

    awaitTrue("a client of the new CA served", () -> answers(newClient));
    assertThat(answers(oldClient)).isFalse();
  }

  private void start(String webConfig) throws Exception {
    Path file = Files.writeString(dir.resolve("web.yml"), webConfig);
    ApiSecurity security =
        ApiSecurity.from(
            WebConfig.load(file, Map.of()),
            dir,
            "test",
            registry,
            TlsReloadFailures.register("test", registry));
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(security.https());
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    server.start();
  }

  private interface Writer {
    void write(Path file) throws IOException;
  }

  /** Writes beside {@code name} and renames over it: readers see the old file or the new one. */
  private void replace(String name, Writer writer) throws IOException {
    Path next = dir.resolve(name + ".next");
    writer.write(next);
    Files.move(next, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  /** The serial of the certificate a new connection gets (a new client: nothing resumed). */
  private BigInteger servedSerial() {
    return servedSerial("TLSv1.3");
  }

  private BigInteger servedSerial(String protocol) {
    try (SSLSocket socket = socket(null)) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    } catch (Exception e) {
      throw new AssertionError("handshake failed", e);
    }
  }

  private boolean serves(TestPki.Issued issued) {
    return servedSerial().equals(issued.cert().getSerialNumber());
  }

  /** Whether a request with {@code client}'s certificate is answered. */
  private boolean answers(TestPki.Issued client) {
    try (SSLSocket socket = socket(client)) {
      socket
          .getOutputStream()
          .write(
              "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      String status =
          new BufferedReader(
                  new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      return status != null && status.startsWith("HTTP/1.1 204");
    } catch (IOException refused) {
      return false;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private SSLSocket socket(TestPki.Issued client) throws Exception {
    SSLContext context = TestPki.clientContext(ca, client);
    SSLSocket socket =
        (SSLSocket)
            context.getSocketFactory().createSocket("127.0.0.1", server.getAddress().getPort());
    socket.setSoTimeout(10_000);
    return socket;
  }

  private String failures() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Polls {@code condition} (each poll a new handshake) until it holds or the wait is over. */
  private static void awaitTrue(String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what + " within " + WAIT).isLessThan(deadline);
      Thread.sleep(100); // between polls; the server looks at its files at most once a second
    }
  }
}
