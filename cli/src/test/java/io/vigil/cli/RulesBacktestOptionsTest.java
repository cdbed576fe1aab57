package io.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.alerting.Secret;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where {@code vigil rules backtest} reads history from, and with which credentials. */
class RulesBacktestOptionsTest {
  private static ElasticsearchSettings elasticsearch(
      String url, String username, boolean live, Map<String, String> env) {
    return RulesCommand.BacktestCommand.elasticsearch(url, username, live, env);
  }

  @Test
  void readsKafkaWithoutAnElasticsearchUrl() {
    assertThat(elasticsearch(null, null, true, Map.of("ELASTICSEARCH_API_KEY", "k"))).isNull();
  }

  @Test
  void takesTheApiKeyFromTheEnvironmentOverBasicAuth() {
    ElasticsearchSettings settings =
        elasticsearch(
            "https://es.example.org:9243",
            "alice",
            false,
            Map.of("ELASTICSEARCH_API_KEY", "a2V5", "ELASTICSEARCH_PASSWORD", "pw"));

    assertThat(settings.url()).isEqualTo("https://es.example.org:9243");
    assertThat(settings.apiKey()).isEqualTo(Secret.of("a2V5"));
    assertThat(settings.username()).isNull();
    assertThat(settings.password()).isNull();
  }

  @Test
  void takesTheBasicAuthPasswordFromTheEnvironment() {
    ElasticsearchSettings settings =
        elasticsearch(
            "http://127.0.0.1:9200", "alice", false, Map.of("ELASTICSEARCH_PASSWORD", "pw"));

    assertThat(settings.username()).isEqualTo("alice");
    assertThat(settings.password()).isEqualTo(Secret.of("pw"));
    assertThat(settings.apiKey()).isNull();
    assertThat(settings.toString()).doesNotContain("pw");
  }

  @Test
  void refusesAUsernameWithoutAPassword() {
    assertThatThrownBy(() -> elasticsearch("http://127.0.0.1:9200", "alice", false, Map.of()))
        .hasMessage(
            "--elasticsearch-username: needs the password in $ELASTICSEARCH_PASSWORD, was absent");
  }

  @Test
  void refusesAUsernameWithoutAUrl() {
    assertThatThrownBy(() -> elasticsearch(null, "alice", false, Map.of()))
        .hasMessage("--elasticsearch-username: needs --elasticsearch-url, was 'alice'");
  }

  @Test
  void refusesLiveSignalsFromElasticsearch() {
    assertThatThrownBy(() -> elasticsearch("http://127.0.0.1:9200", null, true, Map.of()))
        .hasMessageStartingWith("--live: live signals (vigil.signals.live) are not indexed");
  }

  @Test
  void refusesAUrlThatIsNotHttp() {
    assertThatThrownBy(() -> elasticsearch("es:9200", null, false, Map.of()))
        .hasMessage("--elasticsearch-url: must be http(s)://host:port, was 'es:9200'");
  }
}
