package io.vigil.embedded.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * Asks an Elasticsearch cluster whether it is usable: {@code GET
 * /_cluster/health?wait_for_status=yellow&timeout=1s} answers 200 with status yellow or green.
 * ({@code GET /} is not usable: the integ-test distribution answers it 405.)
 */
final class ClusterHealth {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final URI healthUri;
  private final Optional<String> authorization;

  ClusterHealth(String baseUrl) {
    URI base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    this.authorization =
        // getUserInfo() decodes %XX escapes only; URLDecoder would also turn '+' into a space.
        Optional.ofNullable(base.getUserInfo())
            .map(
                info ->
                    "Basic "
                        + Base64.getEncoder()
                            .encodeToString(info.getBytes(StandardCharsets.UTF_8)));
    URI withoutUser =
        URI.create(
            base.getScheme()
                + "://"
                + base.getHost()
                + (base.getPort() == -1 ? "" : ":" + base.getPort())
                + base.getRawPath());
    this.healthUri = withoutUser.resolve("_cluster/health?wait_for_status=yellow&timeout=1s");
  }

  /** The {@code Authorization} header sent with each probe, from the URL's user info. */
  Optional<String> authorization() {
    return authorization;
  }

  /**
   * One probe. Returns the cluster status ({@code yellow}/{@code green}) when usable, empty when
   * not yet (connection refused, red, timed out).
   *
   * @throws IllegalStateException when the answer means waiting will not help (401, 403, 404)
   */
  Optional<String> probe() throws InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(healthUri).timeout(Duration.ofSeconds(5)).GET();
    authorization.ifPresent(value -> request.header("Authorization", value));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return Optional.empty();
    }
    int status = response.statusCode();
    if (status == 401 || status == 403 || status == 404) {
      throw new IllegalStateException(
          "Elasticsearch at "
              + redacted(healthUri)
              + " answered "
              + status
              + ": "
              + response.body());
    }
    if (status != 200) {
      return Optional.empty();
    }
    try {
      JsonNode body = Json.mapper().readTree(response.body());
      String clusterStatus = body.path("status").asText("");
      boolean usable = clusterStatus.equals("yellow") || clusterStatus.equals("green");
      return usable && !body.path("timed_out").asBoolean(false)
          ? Optional.of(clusterStatus)
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The URL with any user info removed, for messages and logs. */
  static String redacted(URI uri) {
    if (uri.getRawUserInfo() == null) {
      return uri.toString();
    }
    return uri.getScheme()
        + "://"
        + uri.getHost()
        + (uri.getPort() == -1 ? "" : ":" + uri.getPort())
        + uri.getRawPath();
  }
}
