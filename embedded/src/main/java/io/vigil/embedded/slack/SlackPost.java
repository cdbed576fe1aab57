package io.vigil.embedded.slack;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One HTTP POST received by a {@link SlackSink}.
 *
 * @param path the request path, for example {@code /services/T000/B000/XXXX}
 * @param contentType the {@code Content-Type} header, or null if absent
 * @param body the request body as UTF-8 text
 * @param json the body parsed as JSON, or null if it is not JSON
 * @param receivedAt when the sink received it
 * @param accepted true if the sink answered 200 {@code ok}; false if it answered an injected
 *     failure (see {@link SlackSink#failNext})
 */
public record SlackPost(
    String path,
    String contentType,
    String body,
    JsonNode json,
    Instant receivedAt,
    boolean accepted) {

  /** The {@code text} field of the payload, or null if there is none. */
  public String text() {
    JsonNode text = json == null ? null : json.get("text");
    return text == null || text.isNull() ? null : text.asText();
  }
}
