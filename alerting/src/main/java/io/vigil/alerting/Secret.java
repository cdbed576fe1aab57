package io.vigil.alerting;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A value that must never be printed: Slack webhook URLs, SMTP passwords, Elasticsearch API keys.
 * {@link #toString()} is {@code <secret>}, so records holding one can be logged safely; {@link
 * #reveal()} is called only where the value goes on the wire.
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  /** Wraps {@code value}; null stays null so optional secrets read naturally. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static Secret of(String value) {
    return value == null ? null : new Secret(value);
  }

  /** The secret itself, for the one place that sends it. */
  public String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return "<secret>";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret other
        && MessageDigest.isEqual(
            value.getBytes(StandardCharsets.UTF_8), other.value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
