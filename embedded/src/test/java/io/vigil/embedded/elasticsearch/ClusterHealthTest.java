package io.vigil.embedded.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterHealthTest {

  @Test
  void redactsCredentialsFromUrls() {
    assertThat(ClusterHealth.redacted(URI.create("https://elastic:s3cret@es.example.org:9243/")))
        .isEqualTo("https://es.example.org:9243/")
        .doesNotContain("s3cret");
    assertThat(ClusterHealth.redacted(URI.create("http://127.0.0.1:9200")))
        .isEqualTo("http://127.0.0.1:9200");
  }

  @Test
  void externalHandleHidesCredentialsInToString() {
    EmbeddedElasticsearch es = EmbeddedElasticsearch.external("https://elastic:s3cret@es:9243/");

    assertThat(es.url()).isEqualTo("https://elastic:s3cret@es:9243");
    assertThat(es.toString()).doesNotContain("s3cret").contains("external");
    assertThat(es.pid()).isEmpty();
    es.close(); // does nothing, does not throw
  }

  @Test
  void putsTheCacheUnderVigilCacheDir() {
    Distribution distribution = Distribution.locate(Map.of("VIGIL_CACHE_DIR", "/var/tmp/x"));

    assertThat(distribution.version()).isEqualTo("8.19.21");
    assertThat(distribution.cacheRoot().toString()).isEqualTo("/var/tmp/x/vigil-elasticsearch");
  }

  @Test
  void sendsCredentialsFromTheUrlAsTheUserWroteThem() {
    ClusterHealth health = new ClusterHealth("http://elastic:a+b%40c@127.0.0.1:9200");

    assertThat(health.authorization())
        .contains(
            "Basic "
                + java.util.Base64.getEncoder()
                    .encodeToString(
                        "elastic:a+b@c".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
