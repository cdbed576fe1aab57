package io.vigil.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.CollectorConfig;
import io.vigil.embedded.tls.TestCertificates;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scrape job's bearer token file and tls_config, as an operator writes them wrong. */
class ScrapeAccessTest {
  @TempDir Path dir;

  private static CollectorConfig load(String yaml) {
    return ConfigLoader.load(yaml, Map.of(), CollectorConfig.class);
  }

  @Test
  void aKubeletJobReadsAsInPrometheus() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "t");
    Path ca = Files.writeString(dir.resolve("ca.crt"), "");
    CollectorConfig config =
        load(
            """
            kafka: {bootstrap_servers: localhost:9092}
            scrape:
              enabled: true
              jobs:
                - job: kubelet-cadvisor
                  targets: ['10.0.0.5:10250']
                  scheme: https
                  path: /metrics/cadvisor
                  bearer_token_file: %s
                  tls_config: {ca_file: %s, insecure_skip_verify: true}
            """
                .formatted(token, ca));

    ScrapeSettings.Job job = config.scrape().jobs().get(0);
    assertThat(job.access())
        .isEqualTo(
            new ScrapeSettings.Access(
                token.toString(),
                new ScrapeSettings.TlsConfig(ca.toString(), null, null, null, true)));
  }

  @Test
  void serverNameReadsAsInPrometheusAndMustBeAHostName() throws Exception {
    ScrapeSettings.Job job =
        load("""
                kafka: {bootstrap_servers: localhost:9092}
                scrape:
                  jobs: [{job: web, targets: ['10.0.0.7:8443'], scheme: https,
                          tls_config: {server_name: web.shop.svc}}]
                """)
            .scrape()
            .jobs()
            .get(0);
    assertThat(job.access().tlsConfig().serverName()).isEqualTo("web.shop.svc");

    assertThatThrownBy(
            () ->
                load(
                    """
                    kafka: {bootstrap_servers: localhost:9092}
                    scrape:
                      jobs: [{job: web, targets: ['h:1'], tls_config: {server_name: 'web shop'}}]
                    """))
        .hasMessageContaining("collector.scrape.jobs[web].tls_config.server_name")
        .hasMessageContaining("web shop");
  }

  @Test
  void halfAClientCertificateIsAnErrorNamingTheKey() throws Exception {
    Path crt = Files.writeString(dir.resolve("c.crt"), "");
    assertThatThrownBy(
            () ->
                load(
                    """
                    kafka: {bootstrap_servers: localhost:9092}
                    scrape:
                      jobs: [{job: k, targets: ['h:1'], tls_config: {cert_file: %s}}]
                    """
                        .formatted(crt)))
        .hasMessageContaining("collector.scrape.jobs[k].tls_config.cert_file")
        .hasMessageContaining("go together");
  }

  @Test
  void aCaFileThatIsNoCertificateStopsTheStartNamingIt() throws Exception {
    TestCertificates.make(dir, "server");
    Path notPem = Files.writeString(dir.resolve("ca.crt"), "not a certificate\n");
    ScrapeSettings settings =
        new ScrapeSettings(
            true,
            Duration.ofSeconds(15),
            null,
            null,
            List.of(
                new ScrapeSettings.Job(
                    "kubelet",
                    List.of("127.0.0.1:10250"),
                    null,
                    "https",
                    null,
                    null,
                    new ScrapeSettings.TlsConfig(notPem.toString(), null, null, null, null))));

    assertThatThrownBy(
            () ->
                Scraper.start(
                    settings,
                    records -> CompletableFuture.completedFuture(null),
                    new PrometheusRegistry()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("collector.scrape.jobs[kubelet].tls_config.ca_file")
        .hasMessageContaining(notPem.toString());

    // The real thing: the certificate and a PKCS#8 key keytool made give a working context.
    ScrapeSettings.TlsConfig good =
        new ScrapeSettings.TlsConfig(
            dir.resolve("server.crt").toString(),
            dir.resolve("server.crt").toString(),
            dir.resolve("server.key").toString(),
            null,
            null);
    assertThat(TargetTls.context(good, "x.").getProtocol()).isEqualTo("TLS");
  }
}
