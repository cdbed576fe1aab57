package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.web.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls_config.server_name}: a target reached by IP whose certificate is for a DNS name only
 * (a pod scraped by its address, its certificate for its Service) fails without it and is scraped
 * with it, also when addressed by a host name the certificate is not for; the name is sent as SNI
 * to a target addressed by IP.
 */
class ScrapeServerNameIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String NAME = "metrics.vigil.test";

  @TempDir Path dir;
  private HttpsServer target;
  private final Set<String> sniSeen = ConcurrentHashMap.newKeySet();

  @AfterEach
  void stop() {
    if (target != null) {
      target.stop(0);
    }
  }

  @Test
  void aTargetWhoseCertificateIsForAnotherNameIsScrapedWithServerName() throws Exception {
    TestPki.Issued ca = TestPki.ca("test-ca");
    TestPki.Issued cert = TestPki.issueFor(ca, "metrics", NAME);
    startTarget(cert);
    String address = "127.0.0.1:" + target.getAddress().getPort();
    String caFile = TestPki.writeCert(dir.resolve("ca.crt"), ca.cert()).toString();
    ScrapeSettings settings =
        new ScrapeSettings(
            true,
            Duration.ofMillis(500),
            Duration.ofMillis(450),
            null,
            List.of(
                // By host name: the JDK's client sends "localhost" as SNI, the certificate is
                // still checked against server_name.
                job(
                    "by-host",
                    "localhost:" + target.getAddress().getPort(),
                    new ScrapeSettings.TlsConfig(caFile, null, null, NAME, null)),
                job("named", address, new ScrapeSettings.TlsConfig(caFile, null, null, NAME, null)),
                job(
                    "by-address",
                    address,
                    new ScrapeSettings.TlsConfig(caFile, null, null, null, null)),
                job(
                    "wrong-name",
                    address,
                    new ScrapeSettings.TlsConfig(caFile, null, null, "other.vigil.test", null))));
    PrometheusRegistry registry = new PrometheusRegistry();
    try (Scraper scraper =
        Scraper.start(settings, records -> CompletableFuture.completedFuture(null), registry)) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!(text(registry).contains(outcome("named", "ok"))
          && text(registry).contains(outcome("by-host", "ok"))
          && text(registry).contains(outcome("by-address", "failed"))
          && text(registry).contains(outcome("wrong-name", "failed")))) {
        assertThat(System.nanoTime()).as("every job scraped in time").isLessThan(deadline);
        Thread.sleep(100); // between looks at the counters; the scrapes run on their own
      }
      assertThat(text(registry))
          .as("the certificate is not for 127.0.0.1, nor for another name")
          .doesNotContain("job=\"by-address\",outcome=\"ok\"")
          .doesNotContain("job=\"wrong-name\",outcome=\"ok\"");
      assertThat(sniSeen).as("server_name sent as SNI to a target addressed by IP").contains(NAME);
    }
  }

  private void startTarget(TestPki.Issued cert) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "target", cert.keys().getPrivate(), new char[0], new Certificate[] {cert.cert()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    target = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.setHttpsConfigurator(new HttpsConfigurator(tls));
    target.createContext(
        "/metrics",
        exchange -> {
          ExtendedSSLSession session =
              (ExtendedSSLSession) ((HttpsExchange) exchange).getSSLSession();
          for (SNIServerName name : session.getRequestedServerNames()) {
            if (name instanceof SNIHostName host) {
              sniSeen.add(host.getAsciiName());
            }
          }
          byte[] body = "up_test 1\n".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    target.start();
  }

  private static ScrapeSettings.Job job(String name, String address, ScrapeSettings.TlsConfig tls) {
    return new ScrapeSettings.Job(name, List.of(address), "/metrics", "https", null, null, tls);
  }

  private static String outcome(String job, String outcome) {
    return "vigil_collector_scrapes_total{job=\"" + job + "\",outcome=\"" + outcome + "\"}";
  }

  private static String text(PrometheusRegistry registry) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, registry.scrape());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
