package io.vigil.alerting.notify.slack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.Notifier;
import io.vigil.alerting.notify.Sleeper;
import io.vigil.alerting.rules.Template;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts alerts to a Slack incoming webhook in Alertmanager's message shape: a top-level {@code
 * text}, optional {@code channel}/{@code username}, and one attachment coloured {@code danger}
 * (firing) or {@code good} (resolved) with title, text and label fields. The JSON is built with
 * Jackson, so quotes and newlines in annotations cannot break it.
 *
 * <p>Delivery: 2xx is success; 429 waits for {@code Retry-After} (capped) and retries; 5xx and I/O
 * errors retry with exponential backoff; other 4xx fail at once (retrying a rejected payload cannot
 * help). The webhook URL is never logged.
 */
public final class SlackNotifier implements Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(SlackNotifier.class);
  private static final String INTEGRATION = "slack";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final SlackConfig config;
  private final HttpClient client;
  private final NotificationMetrics metrics;
  private final Backoff backoff;
  private final Sleeper sleeper;

  /** A notifier with every collaborator given, for tests. */
  public SlackNotifier(
      SlackConfig config,
      HttpClient client,
      NotificationMetrics metrics,
      Backoff backoff,
      Sleeper sleeper) {
    this.config = config;
    this.client = client;
    this.metrics = metrics;
    this.backoff = backoff;
    this.sleeper = sleeper;
  }

  /** A notifier using {@code client}, default backoff and real sleeping. */
  public static SlackNotifier create(
      SlackConfig config, HttpClient client, NotificationMetrics metrics) {
    return new SlackNotifier(config, client, metrics, Backoff.defaults(), Sleeper.SYSTEM);
  }

  /** An HTTP client suitable for webhooks: 10 s connect timeout, no redirects. */
  public static HttpClient defaultHttpClient() {
    return HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  @Override
  public String integration() {
    return INTEGRATION;
  }

  @Override
  public boolean sendResolved() {
    return config.sendResolved();
  }

  @Override
  public void send(Notification notification) throws NotificationException, InterruptedException {
    byte[] body;
    try {
      body = Json.mapper().writeValueAsBytes(payload(config, notification));
    } catch (JsonProcessingException e) {
      throw new NotificationException("cannot build the Slack payload", e);
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(config.apiUrl().reveal()))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    String lastProblem = "no attempt";
    for (int attempt = 1; attempt <= backoff.maxAttempts(); attempt++) {
      Duration wait;
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          metrics.record(INTEGRATION, "success");
          return;
        }
        lastProblem = "HTTP " + status + ": " + abbreviate(response.body());
        if (status == 429) {
          wait =
              retryAfter(response.headers().firstValue("Retry-After"))
                  .map(backoff::cap)
                  .orElse(backoff.delay(attempt));
        } else if (status / 100 == 5) {
          wait = backoff.delay(attempt);
        } else {
          metrics.record(INTEGRATION, "failure");
          throw new NotificationException("Slack rejected the message: " + lastProblem);
        }
      } catch (IOException e) {
        lastProblem = e.getClass().getSimpleName() + ": " + e.getMessage();
        wait = backoff.delay(attempt);
      }
      if (attempt < backoff.maxAttempts()) {
        metrics.record(INTEGRATION, "retry");
        LOG.debug("Slack attempt {} failed ({}), retrying in {}", attempt, lastProblem, wait);
        sleeper.sleep(wait);
      }
    }
    metrics.record(INTEGRATION, "failure");
    throw new NotificationException(
        "Slack delivery failed after " + backoff.maxAttempts() + " attempts: " + lastProblem);
  }

  /** The webhook payload for {@code notification}. */
  static ObjectNode payload(SlackConfig config, Notification notification) {
    AlertTransition alert = notification.alert();
    Map<String, String> labels = alert.labels();
    String title =
        config.title() == null
            ? notification.statusPrefix() + " " + alert.rule()
            : Template.render(config.title(), labels, alert.value());
    String text =
        config.text() == null
            ? defaultText(alert)
            : Template.render(config.text(), labels, alert.value());

    ObjectNode root = Json.mapper().createObjectNode();
    if (config.channel() != null) {
      root.put("channel", config.channel());
    }
    if (config.username() != null) {
      root.put("username", config.username());
    }
    root.put("text", notification.title());
    ArrayNode attachments = root.putArray("attachments");
    ObjectNode attachment = attachments.addObject();
    attachment.put("color", notification.firing() ? "danger" : "good");
    attachment.put("fallback", title);
    attachment.put("title", title);
    if (alert.generatorUrl() != null) {
      attachment.put("title_link", alert.generatorUrl());
    }
    attachment.put("text", text);
    ArrayNode fields = attachment.putArray("fields");
    field(fields, "severity", alert.severity(), true);
    field(fields, "value", Template.formatValue(alert.value()), true);
    labels.entrySet().stream()
        .filter(e -> !e.getKey().equals("alertname") && !e.getKey().equals("severity"))
        .forEach(e -> field(fields, e.getKey(), e.getValue(), true));
    field(fields, "startsAt", String.valueOf(alert.startsAt()), true);
    if (alert.endsAt() != null) {
      field(fields, "endsAt", String.valueOf(alert.endsAt()), true);
    }
    attachment.putArray("mrkdwn_in").add("text");
    return root;
  }

  private static String defaultText(AlertTransition alert) {
    StringBuilder sb = new StringBuilder();
    String summary = alert.annotations().get("summary");
    String description = alert.annotations().get("description");
    if (summary != null) {
      sb.append("*Summary:* ").append(summary).append('\n');
    }
    if (description != null) {
      sb.append("*Description:* ").append(description).append('\n');
    }
    alert.annotations().entrySet().stream()
        .filter(e -> !e.getKey().equals("summary") && !e.getKey().equals("description"))
        .forEach(
            e -> sb.append('*').append(e.getKey()).append(":* ").append(e.getValue()).append('\n'));
    if (sb.length() == 0) {
      sb.append(alert.rule()).append(" is ").append(alert.state().wireName());
    }
    return sb.toString().stripTrailing();
  }

  private static void field(ArrayNode fields, String title, String value, boolean isShort) {
    ObjectNode f = fields.addObject();
    f.put("title", title);
    f.put("value", value);
    f.put("short", isShort);
  }

  /** Parses {@code Retry-After}: delay seconds or an HTTP date. */
  static Optional<Duration> retryAfter(Optional<String> header) {
    if (header.isEmpty()) {
      return Optional.empty();
    }
    String value = header.get().trim();
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (DateTimeParseException ignored) {
        return Optional.empty();
      }
    }
  }

  private static String abbreviate(String body) {
    if (body == null) {
      return "";
    }
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
  }
}
