package io.vigil.alerting.elasticsearch;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.message.BasicHeader;
import org.elasticsearch.client.RestClient;

/**
 * The low-level client for {@link ElasticsearchSettings}: one place that turns the URL and the
 * credentials into a connection, so the indexer and the history reader authenticate alike.
 */
final class RestClients {
  private RestClients() {}

  /** A client for {@code settings}: API key over basic auth, 5 s to connect, 30 s per read. */
  static RestClient of(ElasticsearchSettings settings) {
    URI uri = URI.create(settings.url());
    int port = uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 9200;
    List<Header> headers = new ArrayList<>();
    if (settings.apiKey() != null) {
      headers.add(new BasicHeader("Authorization", "ApiKey " + settings.apiKey().reveal()));
    } else if (settings.username() != null) {
      String token = settings.username() + ":" + settings.password().reveal();
      headers.add(
          new BasicHeader(
              "Authorization",
              "Basic "
                  + Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))));
    }
    return RestClient.builder(new HttpHost(uri.getHost(), port, uri.getScheme()))
        .setDefaultHeaders(headers.toArray(new Header[0]))
        .setRequestConfigCallback(rc -> rc.setConnectTimeout(5_000).setSocketTimeout(30_000))
        .build();
  }
}
