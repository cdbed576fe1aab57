package io.vigil.processor.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.model.catalog.CatalogEntry;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.ConfigLoader;
import io.vigil.model.config.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The catalog file: what is expected of each data pipeline (and who owns each service), written to
 * {@code vigil.catalog} by {@link CatalogPublisher}.
 *
 * <pre>
 * jobs:                          # OpenLineage jobs, matched on namespace + name
 *   - namespace: airflow         # required
 *     name: nightly_sales        # required
 *     team: data                 # optional: a label on its records and alerts
 *     tier: "1"                  # optional
 *     expected_duration: 2h      # optional, > 0: a longer run breaches its SLA (and is overdue)
 *     freshness_target: 26h      # optional, > 0: no complete run for longer is stale
 * services:                      # optional, for later use by the golden signals
 *   - {namespace: shop, name: checkout, team: payments, tier: "0"}
 * </pre>
 *
 * Unknown keys are errors; the file is read as it is (no {@code ${…}} substitution). Every error
 * names the file, the entry and the key: {@code catalog.yaml: jobs[1].expected_duration: must be a
 * duration such as 500ms, 10s, 5m or 1h, was 'soon' (job airflow/nightly_sales)}.
 *
 * @param jobs the jobs' expectations; null when the key is absent
 * @param services the services' owners; null when the key is absent
 */
public record CatalogFile(
    @JsonProperty("jobs") List<Job> jobs, @JsonProperty("services") List<Service> services) {

  private static final Pattern ENTRY = Pattern.compile("^(jobs|services)\\[(\\d+)]");

  /** Validates every entry, naming it by its position. */
  public CatalogFile {
    if (jobs == null && services == null) {
      // An empty file (a config map that did not mount) must not silently empty the catalog.
      throw new ConfigException(
          "<root>", "expected 'jobs:' and/or 'services:' (write 'jobs: []' to empty the catalog)");
    }
    jobs = jobs == null ? List.of() : jobs;
    services = services == null ? List.of() : services;
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < jobs.size(); i++) {
      String at = "jobs[" + i + "]";
      Job job = jobs.get(i);
      if (job == null) {
        throw new ConfigException(at, "must be a mapping with namespace and name");
      }
      identity(at, job.namespace(), job.name(), seen, CatalogEntry.JOB);
      owner(at, job.team(), job.tier());
      positive(at + ".expected_duration", job.expectedDuration());
      positive(at + ".freshness_target", job.freshnessTarget());
    }
    for (int i = 0; i < services.size(); i++) {
      String at = "services[" + i + "]";
      Service service = services.get(i);
      if (service == null) {
        throw new ConfigException(at, "must be a mapping with namespace and name");
      }
      identity(at, service.namespace(), service.name(), seen, CatalogEntry.SERVICE);
      owner(at, service.team(), service.tier());
    }
    jobs = List.copyOf(jobs);
    services = List.copyOf(services);
  }

  /**
   * Reads and validates {@code file}.
   *
   * @throws ConfigException naming the file, the entry and the key when it cannot be read or used
   */
  public static CatalogFile load(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("processor.catalog.file", file, "no such file");
    } catch (IOException e) {
      throw new ConfigException("processor.catalog.file", file, "cannot read: " + e);
    }
    return parse(yaml, file.toString());
  }

  /** Parses and validates {@code yaml}; {@code fileName} starts every error message. */
  public static CatalogFile parse(String yaml, String fileName) {
    try {
      return ConfigLoader.parse(emptyDocument(yaml) ? "" : yaml, CatalogFile.class);
    } catch (ConfigException e) {
      throw new ConfigException(fileName, e.getMessage() + entryOf(e.key(), yaml));
    }
  }

  /** Every entry as it goes on {@code vigil.catalog}, jobs first. */
  public List<CatalogEntry> entries() {
    List<CatalogEntry> entries = new ArrayList<>();
    for (Job job : jobs) {
      entries.add(
          new CatalogEntry(
              CatalogEntry.JOB,
              job.namespace(),
              job.name(),
              job.team(),
              job.tier(),
              seconds(job.expectedDuration()),
              seconds(job.freshnessTarget())));
    }
    for (Service service : services) {
      entries.add(
          new CatalogEntry(
              CatalogEntry.SERVICE,
              service.namespace(),
              service.name(),
              service.team(),
              service.tier(),
              null,
              null));
    }
    return entries;
  }

  /**
   * A pipeline's expectations.
   *
   * @param namespace its OpenLineage job namespace; required
   * @param name its OpenLineage job name; required
   * @param team owning team; optional
   * @param tier tier; optional
   * @param expectedDuration a run taking longer breaches the SLA, and one still running after it is
   *     overdue; optional, > 0
   * @param freshnessTarget the job is stale when it has not completed a run for longer; optional, >
   *     0
   */
  public record Job(
      @JsonProperty("namespace") String namespace,
      @JsonProperty("name") String name,
      @JsonProperty("team") String team,
      @JsonProperty("tier") String tier,
      @JsonProperty("expected_duration") Duration expectedDuration,
      @JsonProperty("freshness_target") Duration freshnessTarget) {}

  /**
   * A service's owner (not used by the golden signals yet).
   *
   * @param namespace its namespace (Kubernetes namespace or {@code service.namespace}); required
   * @param name its {@code service.name}; required
   * @param team owning team; optional
   * @param tier tier; optional
   */
  public record Service(
      @JsonProperty("namespace") String namespace,
      @JsonProperty("name") String name,
      @JsonProperty("team") String team,
      @JsonProperty("tier") String tier) {}

  /** Whether {@code yaml} holds no document at all (nothing, or only comments). */
  private static boolean emptyDocument(String yaml) {
    try {
      JsonNode tree = new YAMLMapper().readTree(yaml);
      return tree == null || tree.isMissingNode() || tree.isNull();
    } catch (IOException e) {
      return false; // not YAML: the loader says where
    }
  }

  private static void identity(
      String at, String namespace, String name, Map<String, String> seen, String kind) {
    if (namespace == null || namespace.isBlank()) {
      throw new ConfigException(at + ".namespace", namespace, "required");
    }
    if (name == null || name.isBlank()) {
      throw new ConfigException(at + ".name", name, "required");
    }
    String key = kind + ":" + namespace + "/" + name;
    String first = seen.putIfAbsent(key, at);
    if (first != null) {
      throw new ConfigException(at, "duplicate of " + first);
    }
  }

  private static void owner(String at, String team, String tier) {
    if (team != null && team.isBlank()) {
      throw new ConfigException(at + ".team", team, "must not be empty");
    }
    if (tier != null && tier.isBlank()) {
      throw new ConfigException(at + ".tier", tier, "must not be empty");
    }
  }

  private static void positive(String key, Duration d) {
    if (d != null && (d.isNegative() || d.isZero())) {
      throw new ConfigException(key, Durations.format(d), "must be > 0");
    }
  }

  private static Double seconds(Duration d) {
    return d == null ? null : d.toMillis() / 1000.0;
  }

  /**
   * " (job airflow/nightly)" for an error about {@code jobs[i]…}, read from the raw YAML (the entry
   * may be the very thing that did not parse); "" when there is nothing to add.
   */
  private static String entryOf(String key, String yaml) {
    Matcher m = key == null ? null : ENTRY.matcher(key);
    if (m == null || !m.find()) {
      return "";
    }
    JsonNode entry;
    try {
      entry = new YAMLMapper().readTree(yaml).path(m.group(1)).path(Integer.parseInt(m.group(2)));
    } catch (IOException | RuntimeException e) {
      return "";
    }
    String kind = m.group(1).equals("jobs") ? "job" : "service";
    String namespace =
        entry.path("namespace").isValueNode() ? entry.path("namespace").asText() : "";
    String name = entry.path("name").isValueNode() ? entry.path("name").asText() : "";
    if (!name.isEmpty()) {
      return " (" + kind + " " + (namespace.isEmpty() ? "?" : namespace) + "/" + name + ")";
    }
    return namespace.isEmpty() ? "" : " (" + kind + " in namespace " + namespace + ")";
  }
}
