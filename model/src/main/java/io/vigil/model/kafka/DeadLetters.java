package io.vigil.model.kafka;

import io.vigil.model.Topics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Headers of records sent to {@code vigil.dlq}: why, and where the record came from. */
public final class DeadLetters {
  private DeadLetters() {}

  /**
   * {@code original} (may be null) plus {@link Topics#DLQ_REASON_HEADER} and {@link
   * Topics#DLQ_SOURCE_TOPIC_HEADER}, replacing earlier values of those two.
   */
  public static Headers headers(Headers original, String reason, String sourceTopic) {
    RecordHeaders headers = new RecordHeaders(original == null ? new RecordHeaders() : original);
    headers.remove(Topics.DLQ_REASON_HEADER);
    headers.remove(Topics.DLQ_SOURCE_TOPIC_HEADER);
    headers.add(Topics.DLQ_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
    headers.add(Topics.DLQ_SOURCE_TOPIC_HEADER, sourceTopic.getBytes(StandardCharsets.UTF_8));
    return headers;
  }
}
