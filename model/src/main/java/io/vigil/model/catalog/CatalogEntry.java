package io.vigil.model.catalog;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.Objects;

/**
 * One entry of the catalog on {@code vigil.catalog} (compacted, keyed by {@link #key()}): what is
 * expected of a job or a service and who owns it. Absent values are null and omitted.
 *
 * <pre>{@code
 * {"kind":"job","namespace":"airflow","name":"nightly_sales","team":"data","tier":"1",
 *  "expected_duration_s":7200.0,"freshness_target_s":93600.0}
 * }</pre>
 *
 * @param kind {@value #JOB} or {@value #SERVICE}
 * @param namespace the job's OpenLineage namespace; the service's namespace
 * @param name the job's or the service's name
 * @param team the owning team (an alert label, for routing), when given
 * @param tier the tier (e.g. {@code 1}, {@code gold}), when given
 * @param expectedDurationS a job's run should end within this many seconds of its START, when given
 * @param freshnessTargetS a job should have completed a run within this many seconds, when given
 */
public record CatalogEntry(
    @JsonProperty("kind") String kind,
    @JsonProperty("namespace") String namespace,
    @JsonProperty("name") String name,
    @JsonProperty("team") String team,
    @JsonProperty("tier") String tier,
    @JsonProperty("expected_duration_s") Double expectedDurationS,
    @JsonProperty("freshness_target_s") Double freshnessTargetS) {

  /** Kind of a data pipeline's entry (an OpenLineage job). */
  public static final String JOB = "job";

  /** Kind of a service's entry. */
  public static final String SERVICE = "service";

  /** Checks what the key is made of. */
  public CatalogEntry {
    Objects.requireNonNull(kind, "kind");
    if (!JOB.equals(kind) && !SERVICE.equals(kind)) {
      throw new IllegalArgumentException("kind must be job or service, was '" + kind + "'");
    }
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  /** The key of a job's entry: {@code job:<namespace>/<name>}. */
  public static String jobKey(String namespace, String name) {
    return JOB + ":" + namespace + "/" + name;
  }

  /** The key of a service's entry: {@code service:<namespace>/<name>}. */
  public static String serviceKey(String namespace, String name) {
    return SERVICE + ":" + namespace + "/" + name;
  }

  /**
   * The record key on {@code vigil.catalog}. The kind comes first so that a job and a service of
   * the same name never overwrite each other in the compacted topic.
   */
  @JsonIgnore
  public String key() {
    return kind + ":" + namespace + "/" + name;
  }

  /** {@link #expectedDurationS()} as a duration, or null. */
  @JsonIgnore
  public Duration expectedDuration() {
    return expectedDurationS == null
        ? null
        : Duration.ofMillis(Math.round(expectedDurationS * 1000));
  }
}
