package io.vigil.local.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.alerting.AlertingService;
import io.vigil.collector.CollectorService;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.embedded.smtp.ReceivedMail;
import io.vigil.embedded.smtp.SmtpSink;
import io.vigil.processor.ProcessorService;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/** The demo's live view: a status line every few seconds and each notification as it arrives. */
final class DemoProgress {
  private static final Duration STATUS_EVERY = Duration.ofSeconds(5);

  private final PrintStream out;
  private final CollectorService collector;
  private final ProcessorService processor;
  private final SlackSink slack;
  private final SmtpSink smtp;
  private final ShopWorkload shop;
  private AlertingService alerting;
  private int slackShown;
  private int mailShown;
  private boolean slackFiring;
  private boolean mailFiring;
  private Duration nextStatus = Duration.ZERO;
  private boolean incidentShown;
  private boolean incidentOverShown;

  DemoProgress(
      PrintStream out,
      CollectorService collector,
      ProcessorService processor,
      SlackSink slack,
      SmtpSink smtp,
      ShopWorkload shop) {
    this.out = out;
    this.collector = collector;
    this.processor = processor;
    this.slack = slack;
    this.smtp = smtp;
    this.shop = shop;
  }

  void alerting(AlertingService alerting) {
    this.alerting = alerting;
  }

  /** Prints what happened since the last call. */
  void tick(Duration elapsed) {
    if (shop.incidentActive() && !incidentShown) {
      incidentShown = true;
      out.printf("[%3ds] >>> checkout starts failing (incident begins)%n", elapsed.toSeconds());
    }
    if (incidentShown && !shop.incidentActive() && !incidentOverShown) {
      incidentOverShown = true;
      out.printf("[%3ds] <<< checkout recovers (incident over)%n", elapsed.toSeconds());
    }
    List<SlackPost> posts = slack.posts();
    for (; slackShown < posts.size(); slackShown++) {
      SlackPost post = posts.get(slackShown);
      String text = slackText(post);
      boolean resolved = text.contains("RESOLVED");
      slackFiring |= !resolved && post.accepted();
      out.printf("[%3ds] Slack  <- %s%n", elapsed.toSeconds(), indent(text));
    }
    List<ReceivedMail> mails = smtp.messages();
    for (; mailShown < mails.size(); mailShown++) {
      ReceivedMail mail = mails.get(mailShown);
      boolean resolved = mail.subject().contains("RESOLVED");
      mailFiring |= !resolved;
      out.printf(
          "[%3ds] Email  <- to %s: \"%s\"%n",
          elapsed.toSeconds(), String.join(", ", mail.to()), mail.subject());
    }
    if (elapsed.compareTo(nextStatus) >= 0) {
      nextStatus = nextStatus.plus(STATUS_EVERY);
      out.printf(
          "[%3ds] data points in: %,d | signals out: %,d live, %,d windows | alerts fired: %s |"
              + " slack: %d | email: %d%n",
          elapsed.toSeconds(),
          collector.dataPointsAccepted(),
          processor.liveSignalsEmitted(),
          processor.signalsEmitted(),
          alerting == null ? "(alerting waits for Elasticsearch)" : alerting.alertsFired(),
          slackShown,
          mailShown);
    }
  }

  /** Whether a firing alert reached both Slack and email. */
  boolean sawFiringEverywhere() {
    return slackFiring && mailFiring;
  }

  long slackPosts() {
    return slackShown;
  }

  long emails() {
    return mailShown;
  }

  long dataPoints() {
    return collector.dataPointsAccepted();
  }

  long signals() {
    return processor.signalsEmitted();
  }

  long liveSignals() {
    return processor.liveSignalsEmitted();
  }

  long alertsFired() {
    return alerting == null ? 0 : alerting.alertsFired();
  }

  long requests() {
    return shop.requests();
  }

  private static String slackText(SlackPost post) {
    JsonNode json = post.json();
    if (json == null) {
      return post.body();
    }
    StringBuilder sb = new StringBuilder();
    if (json.hasNonNull("text")) {
      sb.append(json.get("text").asText());
    }
    for (JsonNode attachment : json.path("attachments")) {
      if (attachment.hasNonNull("title")) {
        sb.append(sb.length() > 0 ? "\n" : "").append(attachment.get("title").asText());
      }
      if (attachment.hasNonNull("text")) {
        sb.append("\n").append(attachment.get("text").asText());
      }
    }
    return sb.toString().strip();
  }

  private static String indent(String text) {
    return text.replace("\n", "\n                ");
  }
}
