package io.vigil.embedded.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EmbeddedElasticsearchIT {

  @Test
  void launchesIndexesAndLeavesNoProcessBehind() throws Exception {
    List<ProcessHandle> tree = new ArrayList<>();
    Path instance;
    try (EmbeddedElasticsearch es = ElasticsearchLauncher.start(Map.of())) {
      assertThat(es.isExternal()).isFalse();
      assertThat(es.url()).matches("http://127\\.0\\.0\\.1:\\d+");
      assertThat(es.version()).hasValue("8.19.21");
      EsHttp http = new EsHttp(es.url());

      EsHttp.Answer health = http.send("GET", "/_cluster/health", null);
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.json().path("status").asText()).isIn("yellow", "green");

      EsHttp.Answer indexed =
          http.send(
              "PUT",
              "/vigil-alerts/_doc/fp-1?refresh=true",
              "{\"rule\":\"HighErrorRate\",\"state\":\"firing\"}");
      assertThat(indexed.status()).isEqualTo(201);
      EsHttp.Answer read = http.send("GET", "/vigil-alerts/_doc/fp-1", null);
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.json().path("_source").path("state").asText()).isEqualTo("firing");

      ProcessHandle launcher = ProcessHandle.of(es.pid().orElseThrow()).orElseThrow();
      launcher.descendants().forEach(tree::add);
      tree.add(launcher);
      instance = es.instanceDirectory().orElseThrow();
      assertThat(instance).isDirectory();
    }
    assertThat(tree).isNotEmpty().noneMatch(ProcessHandle::isAlive);
    assertThat(instance).doesNotExist();
  }

  @Test
  void usesAnExternalClusterWithoutOwningIt() {
    try (EmbeddedElasticsearch launched = ElasticsearchLauncher.start(Map.of())) {
      EmbeddedElasticsearch external =
          ElasticsearchLauncher.start(Map.of("ELASTICSEARCH_URL", launched.url() + "/"));
      assertThat(external.isExternal()).isTrue();
      assertThat(external.url()).isEqualTo(launched.url());
      assertThat(external.pid()).isEmpty();

      external.close();

      assertThat(new EsHttp(launched.url()).send("GET", "/_cluster/health", null).status())
          .isEqualTo(200);
    }
  }

  @Test
  void failsClearlyWhenTheExternalClusterIsUnreachable() {
    assertThatThrownBy(
            () ->
                ElasticsearchLauncher.start(
                    Map.of("ELASTICSEARCH_URL", "http://127.0.0.1:1"), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ELASTICSEARCH_URL")
        .hasMessageContaining("http://127.0.0.1:1");
  }

  @Test
  void namesTheMissingZip() {
    assertThatThrownBy(
            () -> ElasticsearchLauncher.start(Map.of("VIGIL_ELASTICSEARCH_ZIP", "/nope/es.zip")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("VIGIL_ELASTICSEARCH_ZIP")
        .hasMessageContaining("/nope/es.zip");
  }
}
