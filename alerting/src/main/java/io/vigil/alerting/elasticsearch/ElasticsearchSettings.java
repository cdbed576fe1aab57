package io.vigil.alerting.elasticsearch;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.alerting.Secret;
import io.vigil.model.config.ConfigException;
import java.net.URI;

/**
 * Where the Elasticsearch cluster is and how to authenticate.
 *
 * @param url base URL; default {@code http://127.0.0.1:9200}
 * @param username basic-auth user, or null
 * @param password basic-auth password, or null (a secret)
 * @param apiKey API key (the base64 {@code id:key} form), or null (a secret); wins over basic auth
 */
public record ElasticsearchSettings(
    @JsonProperty("url") String url,
    @JsonProperty("username") String username,
    @JsonProperty("password") Secret password,
    @JsonProperty("api_key") Secret apiKey) {

  /** Default URL: a local node. */
  public static final String DEFAULT_URL = "http://127.0.0.1:9200";

  /** Applies the default URL and checks it. */
  public ElasticsearchSettings {
    if (url == null || url.isBlank()) {
      url = DEFAULT_URL;
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("elasticsearch.url", url, "not a URL");
    }
    if (uri.getScheme() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
        || uri.getHost() == null) {
      throw new ConfigException("elasticsearch.url", url, "must be http(s)://host:port");
    }
    if (username != null && username.isBlank()) {
      username = null;
    }
    if (username != null && password == null) {
      throw new ConfigException("elasticsearch.password", "required when username is set");
    }
  }

  /** Settings for {@code url} without authentication. */
  public static ElasticsearchSettings of(String url) {
    return new ElasticsearchSettings(url, null, null, null);
  }

  /** A local node without authentication. */
  public static ElasticsearchSettings defaults() {
    return of(null);
  }
}
