package io.vigil.collector.sink;

/** A {@link RecordSink} could not store records. */
public final class SinkException extends Exception {
  private final boolean retryable;

  private SinkException(String message, Throwable cause, boolean retryable) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** The sink is down or too slow; the sender should retry later (HTTP 503). */
  public static SinkException unavailable(String message, Throwable cause) {
    return new SinkException(message, cause, true);
  }

  /** The request can never be stored as it is, e.g. a record over Kafka's size limit (413). */
  public static SinkException tooLarge(String message, Throwable cause) {
    return new SinkException(message, cause, false);
  }

  /** Whether sending the same request again later may succeed. */
  public boolean retryable() {
    return retryable;
  }
}
