package io.vigil.alerting.notify.email;

import io.vigil.alerting.notify.Backoff;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.NotificationMetrics;
import io.vigil.alerting.notify.Notifier;
import io.vigil.alerting.notify.Sleeper;
import io.vigil.alerting.rules.Template;
import io.vigil.model.alert.AlertTransition;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends alerts as plain-text mail over SMTP (Jakarta Mail / Angus), Alertmanager-style: subject
 * {@code [FIRING:1] HighErrorRatio (c1 shop checkout critical)}, a body listing labels,
 * annotations, value, start time and generator URL.
 *
 * <p>STARTTLS is required exactly when {@code require_tls} is set; port 465 uses implicit TLS; SMTP
 * AUTH is used only when a user name is configured. Connection failures and 4xx SMTP replies are
 * retried with backoff; 5xx replies and authentication failures are not.
 */
public final class EmailNotifier implements Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(EmailNotifier.class);
  private static final String INTEGRATION = "email";
  private static final int IMPLICIT_TLS_PORT = 465;
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final EmailConfig config;
  private final NotificationMetrics metrics;
  private final Backoff backoff;
  private final Sleeper sleeper;
  private final Session session;

  /** A notifier with every collaborator given, for tests. */
  public EmailNotifier(
      EmailConfig config, NotificationMetrics metrics, Backoff backoff, Sleeper sleeper) {
    this.config = config;
    this.metrics = metrics;
    this.backoff = backoff;
    this.sleeper = sleeper;
    this.session = Session.getInstance(properties(config));
  }

  /** A notifier with default backoff and real sleeping. */
  public static EmailNotifier create(EmailConfig config, NotificationMetrics metrics) {
    return new EmailNotifier(config, metrics, Backoff.defaults(), Sleeper.SYSTEM);
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
    MimeMessage message;
    try {
      message = message(notification);
    } catch (MessagingException e) {
      metrics.record(INTEGRATION, "failure");
      throw new NotificationException("cannot build the mail: " + e.getMessage(), e);
    }
    String lastProblem = "no attempt";
    for (int attempt = 1; attempt <= backoff.maxAttempts(); attempt++) {
      try {
        deliver(message);
        metrics.record(INTEGRATION, "success");
        return;
      } catch (MessagingException e) {
        lastProblem = describe(e);
        if (!isTransient(e)) {
          metrics.record(INTEGRATION, "failure");
          throw new NotificationException("SMTP server refused the mail: " + lastProblem, e);
        }
      }
      if (attempt < backoff.maxAttempts()) {
        metrics.record(INTEGRATION, "retry");
        Duration wait = backoff.delay(attempt);
        LOG.debug("SMTP attempt {} failed ({}), retrying in {}", attempt, lastProblem, wait);
        sleeper.sleep(wait);
      }
    }
    metrics.record(INTEGRATION, "failure");
    throw new NotificationException(
        "mail delivery failed after " + backoff.maxAttempts() + " attempts: " + lastProblem);
  }

  private void deliver(MimeMessage message) throws MessagingException {
    try (Transport transport = session.getTransport(protocol(config))) {
      if (config.authUsername() != null) {
        transport.connect(
            config.host(),
            config.port(),
            config.authUsername(),
            config.authPassword() == null ? "" : config.authPassword().reveal());
      } else {
        transport.connect(config.host(), config.port(), null, null);
      }
      transport.sendMessage(message, message.getAllRecipients());
    }
  }

  /** The subject: a {@code Subject} header from the configuration, else Alertmanager's default. */
  static String subject(EmailConfig config, Notification notification) {
    String configured = config.headers().get("Subject");
    if (configured != null) {
      AlertTransition alert = notification.alert();
      return Template.render(configured, alert.labels(), alert.value());
    }
    return notification.title();
  }

  /** The plain-text body. */
  static String body(Notification notification) {
    AlertTransition alert = notification.alert();
    StringBuilder sb = new StringBuilder();
    sb.append(notification.statusPrefix()).append(' ').append(alert.rule()).append("\n\n");
    sb.append("Labels:\n");
    alert.labels().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                sb.append("  ").append(e.getKey()).append(" = ").append(e.getValue()).append('\n'));
    if (!alert.annotations().isEmpty()) {
      sb.append("Annotations:\n");
      alert.annotations().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(
              e ->
                  sb.append("  ")
                      .append(e.getKey())
                      .append(" = ")
                      .append(e.getValue())
                      .append('\n'));
    }
    sb.append("Value: ").append(Template.formatValue(alert.value())).append('\n');
    sb.append("Starts at: ").append(alert.startsAt()).append('\n');
    if (alert.endsAt() != null) {
      sb.append("Ends at: ").append(alert.endsAt()).append('\n');
    }
    if (alert.generatorUrl() != null) {
      sb.append("Source: ").append(alert.generatorUrl()).append('\n');
    }
    return sb.toString();
  }

  private MimeMessage message(Notification notification) throws MessagingException {
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress(config.from(), true));
    List<InternetAddress> to = new ArrayList<>();
    for (String address : config.to()) {
      try {
        to.add(new InternetAddress(address, true));
      } catch (AddressException e) {
        throw new MessagingException("invalid recipient address '" + address + "'", e);
      }
    }
    message.setRecipients(Message.RecipientType.TO, to.toArray(new InternetAddress[0]));
    message.setSentDate(new Date());
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      if (!h.getKey().equals("Subject")) {
        AlertTransition alert = notification.alert();
        message.setHeader(h.getKey(), Template.render(h.getValue(), alert.labels(), alert.value()));
      }
    }
    message.setSubject(subject(config, notification), StandardCharsets.UTF_8.name());
    message.setText(body(notification), StandardCharsets.UTF_8.name());
    message.saveChanges();
    return message;
  }

  private static String protocol(EmailConfig config) {
    return config.port() == IMPLICIT_TLS_PORT ? "smtps" : "smtp";
  }

  private static Properties properties(EmailConfig config) {
    String p = "mail." + protocol(config) + ".";
    Properties props = new Properties();
    props.put(p + "host", config.host());
    props.put(p + "port", Integer.toString(config.port()));
    props.put(p + "localhost", config.hello());
    props.put(p + "connectiontimeout", Long.toString(TIMEOUT.toMillis()));
    props.put(p + "timeout", Long.toString(TIMEOUT.toMillis()));
    props.put(p + "writetimeout", Long.toString(TIMEOUT.toMillis()));
    props.put(p + "auth", Boolean.toString(config.authUsername() != null));
    boolean startTls = config.requireTls() && config.port() != IMPLICIT_TLS_PORT;
    props.put(p + "starttls.enable", Boolean.toString(startTls));
    props.put(p + "starttls.required", Boolean.toString(startTls));
    if (config.requireTls() || config.port() == IMPLICIT_TLS_PORT) {
      props.put(p + "ssl.checkserveridentity", "true");
    }
    return props;
  }

  /** Whether retrying may help: connection trouble or a 4xx (temporary) SMTP reply. */
  private static boolean isTransient(MessagingException e) {
    if (e instanceof AuthenticationFailedException) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      int code = -1;
      if (t instanceof SMTPSendFailedException s) {
        code = s.getReturnCode();
      } else if (t instanceof SMTPAddressFailedException s) {
        code = s.getReturnCode();
      } else if (t instanceof SMTPSenderFailedException s) {
        code = s.getReturnCode();
      }
      if (code > 0) {
        return code / 100 == 4;
      }
      if (t instanceof IOException) {
        return true;
      }
    }
    // jakarta.mail reports connect failures as MessagingException("Couldn't connect...",
    // IOException)
    return e.getMessage() != null && e.getMessage().startsWith("Couldn't connect");
  }

  private static String describe(MessagingException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
    return root == e ? msg : msg + " (" + root.getClass().getSimpleName() + ")";
  }
}
