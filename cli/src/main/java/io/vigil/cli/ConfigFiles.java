package io.vigil.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.alerting.AlertingConfig;
import io.vigil.collector.CollectorConfig;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import io.vigil.processor.ProcessorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The shapes of the files given to {@code --config}: one section per service. */
public final class ConfigFiles {
  private ConfigFiles() {}

  /** {@code vigil collector --config F}: a file with a {@code collector:} section. */
  record CollectorFile(@JsonProperty("collector") CollectorConfig collector) {
    CollectorFile {
      if (collector == null) {
        // An empty file or a misspelt section must not start silently on every default.
        throw new ConfigException(
            "collector", "section is required (write 'collector: {}' for every default)");
      }
    }
  }

  /** {@code vigil processor --config F}: a file with a {@code processor:} section. */
  record ProcessorFile(@JsonProperty("processor") ProcessorConfig processor) {
    ProcessorFile {
      if (processor == null) {
        throw new ConfigException(
            "processor", "section is required (write 'processor: {}' for every default)");
      }
    }
  }

  /** {@code vigil alerting --config F}: a file with an {@code alerting:} section. */
  record AlertingFile(@JsonProperty("alerting") AlertingConfig alerting) {
    AlertingFile {
      if (alerting == null) {
        throw new ConfigException(
            "alerting", "section is required (rule_files, alertmanager_config)");
      }
    }
  }

  /** Loads {@code file} as {@code type}, with the process environment for substitution. */
  public static <T> T load(Path file, Class<T> type) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("--config", file, "no such file");
    }
    return ConfigLoader.load(file, environment(), type);
  }

  /** The one place the CLI reads the process environment. */
  public static Map<String, String> environment() {
    return System.getenv();
  }
}
