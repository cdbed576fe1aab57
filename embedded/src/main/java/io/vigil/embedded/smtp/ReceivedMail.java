package io.vigil.embedded.smtp;

import java.time.Instant;
import java.util.List;

/**
 * One message received by an {@link SmtpSink}.
 *
 * @param subject the decoded {@code Subject}
 * @param from the {@code From} address(es), comma-separated, as sent
 * @param to every {@code To} and {@code Cc} address
 * @param text the {@code text/plain} body (the first one of a multipart message); the HTML part
 *     when there is no plain-text part; empty when there is neither
 * @param html the {@code text/html} part, or empty when there is none
 * @param receivedAt when the sink received it
 */
public record ReceivedMail(
    String subject, String from, List<String> to, String text, String html, Instant receivedAt) {
  /** Copies {@code to}. */
  public ReceivedMail {
    to = List.copyOf(to);
  }
}
