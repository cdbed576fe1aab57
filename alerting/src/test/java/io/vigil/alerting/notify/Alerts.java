package io.vigil.alerting.notify;

import io.vigil.model.alert.AlertTransition;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Alert transitions for tests. */
public final class Alerts {
  private Alerts() {}

  /** A firing HighErrorRatio for checkout whose summary holds {@code summary}. */
  public static AlertTransition firing(String summary) {
    return new AlertTransition(
        "0123456789abcdef",
        "HighErrorRatio",
        AlertTransition.State.FIRING,
        "critical",
        Map.of(
            "alertname", "HighErrorRatio",
            "cluster", "c1",
            "namespace", "shop",
            "service", "checkout",
            "severity", "critical"),
        Map.of("summary", summary),
        0.2,
        Instant.parse("2024-05-01T12:00:10Z"),
        null,
        "http://localhost:8890/api/v2/alerts?fingerprint=0123456789abcdef");
  }

  /** The same alert, resolved. */
  public static AlertTransition resolved() {
    AlertTransition f = firing("resolved now");
    return new AlertTransition(
        f.fingerprint(),
        f.rule(),
        AlertTransition.State.RESOLVED,
        f.severity(),
        f.labels(),
        f.annotations(),
        0.01,
        f.startsAt(),
        Instant.parse("2024-05-01T12:01:00Z"),
        f.generatorUrl());
  }

  /** As {@link #firing(String)} for another service (another fingerprint). */
  public static AlertTransition firing(String service, String summary) {
    AlertTransition f = firing(summary);
    Map<String, String> labels = new java.util.TreeMap<>(f.labels());
    labels.put("service", service);
    return new AlertTransition(
        Integer.toHexString(service.hashCode()),
        f.rule(),
        f.state(),
        f.severity(),
        labels,
        f.annotations(),
        f.value(),
        f.startsAt(),
        null,
        f.generatorUrl());
  }

  /** A notification of {@code alerts} to receiver {@code team}, grouped by alert name. */
  public static Notification notification(long version, AlertTransition... alerts) {
    return new Notification(
        "team@0:{alertname=\"HighErrorRatio\"}",
        "team",
        Map.of("alertname", "HighErrorRatio"),
        List.of(alerts),
        version);
  }
}
