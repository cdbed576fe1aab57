package io.vigil.alerting;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.vigil.alerting.rules.Fingerprints;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Alerts posted to {@code POST /api/v2/alerts} in Alertmanager's {@code postableAlerts} shape, as
 * Prometheus sends them: {@code [{"labels":{…},"annotations":{…},"startsAt","endsAt",
 * "generatorURL"}]}. Each becomes an {@link AlertTransition}: fingerprint from the labels (the same
 * function Alertmanager uses), {@code startsAt} now when absent, {@code endsAt} now + {@code
 * resolve_timeout} when absent, {@code resolved} when {@code endsAt} is not in the future.
 */
final class PostedAlerts {
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private PostedAlerts() {}

  /** One element of the posted array. */
  record Posted(
      @JsonProperty("labels") Map<String, String> labels,
      @JsonProperty("annotations") Map<String, String> annotations,
      @JsonProperty("startsAt") Instant startsAt,
      @JsonProperty("endsAt") Instant endsAt,
      @JsonProperty("generatorURL") String generatorUrl) {}

  /**
   * The transitions in {@code body}, read at {@code now}.
   *
   * @throws IllegalArgumentException naming the element and field that is wrong
   */
  static List<AlertTransition> parse(byte[] body, Instant now, Duration resolveTimeout) {
    List<Posted> posted;
    try {
      posted = Json.mapper().readValue(body, new TypeReference<List<Posted>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "expected a JSON array of alerts: " + path(e) + Json.describe(e), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable body: " + e.getMessage(), e);
    }
    if (posted == null) {
      throw new IllegalArgumentException("expected a JSON array of alerts, got null");
    }
    List<AlertTransition> out = new ArrayList<>();
    for (int i = 0; i < posted.size(); i++) {
      out.add(toTransition(posted.get(i), "[" + i + "]", now, resolveTimeout));
    }
    return out;
  }

  /** Where a mapping error is, as {@code [1].startsAt: }; empty when Jackson does not say. */
  private static String path(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException mapping) || mapping.getPath().isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : mapping.getPath()) {
      if (ref.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.append(": ").toString();
  }

  private static AlertTransition toTransition(
      Posted p, String at, Instant now, Duration resolveTimeout) {
    if (p == null || p.labels() == null || p.labels().isEmpty()) {
      throw new IllegalArgumentException(at + ".labels: at least one label is required");
    }
    for (Map.Entry<String, String> label : p.labels().entrySet()) {
      if (!LABEL_NAME.matcher(label.getKey()).matches()) {
        throw new IllegalArgumentException(
            at + ".labels: invalid label name '" + label.getKey() + "'");
      }
      if (label.getValue() == null || label.getValue().isEmpty()) {
        throw new IllegalArgumentException(
            at + ".labels." + label.getKey() + ": empty value (drop the label instead)");
      }
    }
    Instant startsAt = p.startsAt() == null ? now : p.startsAt();
    Instant endsAt = p.endsAt() == null ? now.plus(resolveTimeout) : p.endsAt();
    if (endsAt.isBefore(startsAt)) {
      throw new IllegalArgumentException(
          at + ".endsAt: before startsAt (" + startsAt + "), was " + endsAt);
    }
    boolean resolved = !endsAt.isAfter(now);
    Map<String, String> labels = Map.copyOf(p.labels());
    return new AlertTransition(
        Fingerprints.of(labels),
        labels.getOrDefault("alertname", ""),
        resolved ? AlertTransition.State.RESOLVED : AlertTransition.State.FIRING,
        labels.getOrDefault("severity", "warning"),
        labels,
        p.annotations() == null ? Map.of() : p.annotations(),
        0,
        startsAt,
        endsAt,
        p.generatorUrl());
  }
}
