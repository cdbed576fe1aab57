package io.vigil.model.config;

/**
 * A configuration value that cannot be used. The message names the key and the value, e.g. {@code
 * processor.window: must be > 0, was -5}; the CLI prints it and exits with status 2.
 */
public final class ConfigException extends RuntimeException {
  private final String key;

  /** A problem with {@code key} whose value was {@code value}. */
  public ConfigException(String key, Object value, String problem) {
    super(key + ": " + problem + ", was " + (value == null ? "absent" : "'" + value + "'"));
    this.key = key;
  }

  /** A problem with {@code key} where the value is not worth repeating (e.g. a secret). */
  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
  }

  /** The dotted key the problem is about. */
  public String key() {
    return key;
  }
}
