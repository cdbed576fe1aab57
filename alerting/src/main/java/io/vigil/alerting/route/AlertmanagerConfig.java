package io.vigil.alerting.route;

import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Alertmanager configuration file ({@code alertmanager.yml}), reduced to what Vigil implements:
 * {@code global}, the {@code route} tree, {@code receivers} with Slack and email, and {@code
 * inhibit_rules}. Keys that Alertmanager knows but Vigil does not implement yet are accepted and
 * listed in {@link #ignoredKeys()}; keys Alertmanager does not know are errors.
 *
 * @param global global defaults (already applied to the receivers)
 * @param route the root route
 * @param receivers receivers by name
 * @param inhibitRules rules by which a firing alert mutes others
 * @param ignoredKeys paths of accepted-but-unsupported keys, e.g. {@code mute_time_intervals}
 */
public record AlertmanagerConfig(
    GlobalConfig global,
    Route route,
    Map<String, Receiver> receivers,
    List<InhibitRule> inhibitRules,
    List<String> ignoredKeys) {
  private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerConfig.class);

  /** Freezes the collections. */
  public AlertmanagerConfig {
    receivers = Map.copyOf(receivers);
    inhibitRules = List.copyOf(inhibitRules);
    ignoredKeys = List.copyOf(ignoredKeys);
  }

  /**
   * Reads and validates {@code file}; logs the unsupported keys it contains once.
   *
   * @throws ConfigException naming file and key
   */
  public static AlertmanagerConfig load(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(
          "alertmanager_config", file, "cannot read Alertmanager configuration: " + e);
    }
    AlertmanagerConfig config = parse(yaml, file.toString());
    if (!config.ignoredKeys().isEmpty()) {
      LOG.warn("{}: not supported yet, ignored: {}", file, String.join(", ", config.ignoredKeys()));
    }
    return config;
  }

  /** Parses and validates {@code yaml}; {@code fileName} is used in messages. */
  public static AlertmanagerConfig parse(String yaml, String fileName) {
    return AlertmanagerConfigParser.parse(yaml, fileName);
  }
}
