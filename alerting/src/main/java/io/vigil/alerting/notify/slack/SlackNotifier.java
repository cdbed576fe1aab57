package io.vigil.alerting.notify.slack;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alerting.notify.ClientHello;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.Notifier;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Posts an alert group to a Slack incoming webhook with Block Kit: a top-level {@code text} (the
 * group title, what notifications and old clients show) and a section with it, then one attachment
 * per alert — its colour bar red for critical, yellow for warning, blue for anything else, green
 * once resolved — holding a section with the alert's title and annotations, a section of fields
 * (severity, value, labels), a context line with its times, and buttons to its runbook, Grafana,
 * Kibana and the alert ({@link Links}). The JSON is built with Jackson, so quotes and newlines in
 * annotations cannot break it. Long groups and texts are cut to stay inside Slack's limits ({@value
 * #MAX_ATTACHMENTS} attachments, {@value #MAX_TEXT} characters a section, 10 fields) rather than be
 * refused.
 *
 * <p>One attempt per {@link #send}: 2xx is success; 429 (with its {@code Retry-After}), 5xx and I/O
 * errors are retryable; other 4xx are permanent (retrying a rejected payload cannot help). The
 * webhook URL is never logged.
 */
public final class SlackNotifier implements Notifier {
  static final int MAX_ATTACHMENTS = 20;
  static final int MAX_TEXT = 3000;
  static final int MAX_TITLE = 250;
  static final int MAX_FIELDS = 10;

  /** What all sections of one message may hold together (Slack refuses much larger messages). */
  static final int MESSAGE_BUDGET = 12_000;

  private static final String INTEGRATION = "slack";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  private final SlackConfig config;
  private final HttpClient client;
  private final Links links;

  /**
   * A notifier posting to {@code config}'s webhook with {@code client}, linking with {@code links}.
   */
  public SlackNotifier(SlackConfig config, HttpClient client, Links links) {
    this.config = config;
    this.client = client;
    this.links = links;
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
      body = Json.mapper().writeValueAsBytes(payload(config, notification, links));
    } catch (JsonProcessingException e) {
      throw NotificationException.permanent("cannot build the Slack payload", e);
    }
    HttpResponse<String> response;
    try {
      response = client.send(request(body), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw NotificationException.retryable(
          "Slack unreachable: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      return;
    }
    String problem = "Slack answered HTTP " + status + ": " + abbreviate(response.body());
    if (status == 429) {
      throw NotificationException.rateLimited(
          problem, retryAfter(response.headers().firstValue("Retry-After")).orElse(null));
    }
    if (status / 100 == 5) {
      throw NotificationException.retryable(problem, null);
    }
    throw NotificationException.permanent(problem, null);
  }

  private HttpRequest request(byte[] body) {
    return HttpRequest.newBuilder(URI.create(config.apiUrl().reveal()))
        .timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  /**
   * Renders {@code sample} and builds its request; for an HTTPS webhook also the TLS ClientHello
   * (with the client's TLS context) that the first connection would send. The client's own first
   * exchange is warmed by the caller, against a local address.
   */
  @Override
  public void warmUp(Notification sample) throws Exception {
    HttpRequest request = request(Json.mapper().writeValueAsBytes(payload(config, sample, links)));
    URI uri = request.uri();
    if ("https".equalsIgnoreCase(uri.getScheme())) {
      ClientHello.build(
          client.sslContext(), uri.getHost(), uri.getPort() < 0 ? 443 : uri.getPort());
    }
  }

  /** The webhook payload for {@code notification}. */
  static ObjectNode payload(SlackConfig config, Notification notification, Links links) {
    ObjectNode root = Json.mapper().createObjectNode();
    if (config.channel() != null) {
      root.put("channel", config.channel());
    }
    if (config.username() != null) {
      root.put("username", config.username());
    }
    String title = cut(notification.title(), MAX_TITLE);
    root.put("text", title);
    ArrayNode blocks = root.putArray("blocks");
    section(blocks.addObject(), "*" + escape(title) + "*");
    ArrayNode attachments = root.putArray("attachments");
    List<AlertTransition> alerts = notification.alerts();
    int shown = Math.min(alerts.size(), MAX_ATTACHMENTS);
    int textBudget = Math.max(300, Math.min(MAX_TEXT, MESSAGE_BUDGET / Math.max(1, shown)));
    for (int i = 0; i < shown; i++) {
      attachment(attachments.addObject(), config, alerts.get(i), links, textBudget);
    }
    if (alerts.size() > shown) {
      ObjectNode more = attachments.addObject();
      more.put("color", "#888888");
      more.put("fallback", "… and " + (alerts.size() - shown) + " more alerts");
      section(
          more.putArray("blocks").addObject(),
          "… and " + (alerts.size() - shown) + " more alerts in this group");
    }
    return root;
  }

  private static void attachment(
      ObjectNode attachment,
      SlackConfig config,
      AlertTransition alert,
      Links links,
      int textBudget) {
    Map<String, String> labels = alert.labels();
    boolean firing = alert.state() == AlertTransition.State.FIRING;
    String title =
        config.title() == null
            ? (firing ? "[FIRING] " : "[RESOLVED] ") + alert.rule()
            : Template.render(config.title(), labels, alert.value());
    String text =
        config.text() == null
            ? defaultText(alert)
            : Template.render(config.text(), labels, alert.value());
    attachment.put("color", color(alert));
    attachment.put("fallback", cut(title, MAX_TITLE));
    ArrayNode blocks = attachment.putArray("blocks");
    section(
        blocks.addObject(), cut("*" + escape(cut(title, MAX_TITLE)) + "*\n" + text, textBudget));

    ArrayNode fields = blocks.addObject().put("type", "section").putArray("fields");
    field(fields, "severity", alert.severity());
    field(fields, "value", Template.formatValue(alert.value()));
    for (Map.Entry<String, String> label : new java.util.TreeMap<>(labels).entrySet()) {
      if (fields.size() >= MAX_FIELDS) {
        break;
      }
      if (!label.getKey().equals("alertname") && !label.getKey().equals("severity")) {
        field(fields, label.getKey(), label.getValue());
      }
    }

    String times =
        "started "
            + alert.startsAt()
            + (alert.endsAt() == null || firing ? "" : " · ended " + alert.endsAt());
    blocks
        .addObject()
        .put("type", "context")
        .putArray("elements")
        .addObject()
        .put("type", "mrkdwn")
        .put("text", times);

    List<Links.Link> linked = links.forAlert(alert);
    if (!linked.isEmpty()) {
      ArrayNode buttons = blocks.addObject().put("type", "actions").putArray("elements");
      for (Links.Link link : linked) {
        if (link.url().length() > 3000) {
          continue; // Slack refuses longer button URLs
        }
        ObjectNode button = buttons.addObject().put("type", "button");
        button.putObject("text").put("type", "plain_text").put("text", link.label());
        button.put("url", link.url());
      }
    }
  }

  /** Red for critical, yellow for warning, blue for other severities; green once resolved. */
  static String color(AlertTransition alert) {
    if (alert.state() != AlertTransition.State.FIRING) {
      return "good";
    }
    return switch (alert.severity() == null ? "" : alert.severity()) {
      case "critical", "page", "error" -> "danger";
      case "warning" -> "warning";
      default -> "#439FE0";
    };
  }

  private static void section(ObjectNode block, String mrkdwn) {
    block.put("type", "section");
    block.putObject("text").put("type", "mrkdwn").put("text", cut(mrkdwn, MAX_TEXT));
  }

  /** Slack's mrkdwn escapes: {@code &}, {@code <}, {@code >}. */
  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** {@code text} cut to {@code max} characters, ending with an ellipsis when cut. */
  static String cut(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
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

  private static void field(ArrayNode fields, String title, String value) {
    fields
        .addObject()
        .put("type", "mrkdwn")
        .put("text", cut("*" + escape(title) + "*\n" + escape(value), 2000));
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
