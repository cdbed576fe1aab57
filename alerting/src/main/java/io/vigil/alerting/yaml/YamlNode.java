package io.vigil.alerting.yaml;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A node of a YAML file being validated by hand, carrying its location so every error names file
 * and key: {@code alertmanager.yml: receivers[0].slack_configs[0].api_url: …}. Used for files whose
 * format Vigil does not own (Prometheus-style rules, Alertmanager configuration), where "known but
 * not supported" keys must be told apart from misspelt ones.
 */
public final class YamlNode {
  private static final ObjectMapper YAML =
      YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private final JsonNode node;
  private final String file;
  private final String path;

  private YamlNode(JsonNode node, String file, String path) {
    this.node = node == null ? MissingNode.getInstance() : node;
    this.file = file;
    this.path = path;
  }

  /**
   * Parses {@code yaml}; {@code file} is the name used in error messages.
   *
   * @throws ConfigException when the text is not YAML
   */
  public static YamlNode parse(String yaml, String file) {
    try {
      JsonNode root = YAML.readTree(yaml);
      return new YamlNode(root == null ? MissingNode.getInstance() : root, file, "");
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          file,
          "not valid YAML at line "
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + ": "
              + e.getOriginalMessage());
    }
  }

  /** {@code file: path} as errors print it. */
  public String key() {
    return path.isEmpty() ? file : file + ": " + path;
  }

  /** An error about this node that repeats its value. */
  public ConfigException error(String problem) {
    return node.isValueNode()
        ? new ConfigException(key(), node.asText(), problem)
        : hidden(problem);
  }

  /** An error about this node that does not repeat its value (secrets, whole sections). */
  public ConfigException hidden(String problem) {
    return new ConfigException(key(), problem);
  }

  /** Whether the key is absent or explicitly null. */
  public boolean isAbsent() {
    return node.isMissingNode() || node.isNull();
  }

  /** The child at {@code field}; absent children are {@link #isAbsent()}. */
  public YamlNode get(String field) {
    String childPath = path.isEmpty() ? field : path + "." + field;
    return new YamlNode(node.isObject() ? node.get(field) : null, file, childPath);
  }

  /** The elements of a sequence; an absent node is an empty sequence. */
  public List<YamlNode> elements() {
    if (isAbsent()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw error("must be a list");
    }
    List<YamlNode> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      out.add(new YamlNode(node.get(i), file, path + "[" + i + "]"));
    }
    return out;
  }

  /** The entries of a mapping in file order; an absent node is an empty mapping. */
  public Map<String, YamlNode> fields() {
    if (isAbsent()) {
      return Map.of();
    }
    requireMapping();
    Map<String, YamlNode> out = new LinkedHashMap<>();
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      out.put(name, get(name));
    }
    return out;
  }

  /**
   * Checks the mapping's keys: {@code supported} ones are fine, {@code ignored} ones are returned
   * (the caller logs them as not supported yet), anything else is an error naming the key.
   */
  public List<String> checkKeys(Set<String> supported, Set<String> ignored) {
    if (isAbsent()) {
      return List.of();
    }
    requireMapping();
    List<String> ignoredPresent = new ArrayList<>();
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (ignored.contains(name)) {
        ignoredPresent.add(get(name).path);
      } else if (!supported.contains(name)) {
        Set<String> known = new TreeSet<>(supported);
        known.addAll(ignored);
        throw get(name).hidden("unknown key (known keys: " + String.join(", ", known) + ")");
      }
    }
    return ignoredPresent;
  }

  /** A scalar as text, or null when absent. */
  public String text() {
    if (isAbsent()) {
      return null;
    }
    if (!node.isValueNode()) {
      throw hidden("must be a single value, not a list or mapping");
    }
    return node.asText();
  }

  /** A scalar as text that must be present and not blank. */
  public String requiredText() {
    String text = text();
    if (text == null || text.isBlank()) {
      throw error("is required");
    }
    return text;
  }

  /** A boolean, or {@code fallback} when absent. */
  public boolean bool(boolean fallback) {
    if (isAbsent()) {
      return fallback;
    }
    if (!node.isBoolean()) {
      throw error("must be true or false");
    }
    return node.booleanValue();
  }

  /** A duration such as {@code 30s} or {@code 1h30m}, or {@code fallback} when absent. */
  public Duration duration(Duration fallback) {
    String text = text();
    if (text == null) {
      return fallback;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw error("not a duration (expected e.g. 30s, 5m, 1h)");
    }
  }

  /** A mapping of strings to strings; absent is empty. Null values are errors. */
  public Map<String, String> stringMap() {
    Map<String, String> out = new LinkedHashMap<>();
    fields()
        .forEach(
            (k, v) -> {
              if (v.node instanceof NullNode || v.isAbsent()) {
                throw v.hidden("must have a value");
              }
              out.put(k, v.text());
            });
    return out;
  }

  private void requireMapping() {
    if (!node.isObject()) {
      throw hidden("must be a mapping of keys to values");
    }
  }
}
