package io.vigil.alerting.notify.email;

import io.vigil.alerting.notify.ClientHello;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.alerting.notify.Notifier;
import io.vigil.alerting.rules.Template;
import io.vigil.model.alert.AlertTransition;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;

/**
 * Sends an alert group as plain-text mail over SMTP (Jakarta Mail / Angus), Alertmanager-style:
 * subject {@code [FIRING:2] HighErrorRatio (c1 shop critical)}, a body listing each alert's labels,
 * annotations, value, times and generator URL.
 *
 * <p>STARTTLS is required exactly when {@code require_tls} is set; port 465 (or {@code
 * force_implicit_tls}) uses implicit TLS; {@code tls_config.ca_file} replaces the JDK's trust
 * store; SMTP AUTH is used only when a user name is configured. One attempt per {@link #send}:
 * connection and TLS failures, 4xx SMTP replies, a refused login and a server that does not offer
 * the required STARTTLS are retryable (as in Alertmanager); other 5xx replies are not.
 */
public final class EmailNotifier implements Notifier {
  private static final String INTEGRATION = "email";
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final EmailConfig config;
  private final Links links;
  private final Session session;

  /** A notifier sending to {@code config}'s server and recipients, linking with {@code links}. */
  public EmailNotifier(EmailConfig config, Links links) {
    this.config = config;
    this.links = links;
    this.session = Session.getInstance(properties(config));
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
      throw NotificationException.permanent("cannot build the mail: " + e.getMessage(), e);
    }
    try {
      deliver(message);
    } catch (AuthenticationFailedException e) {
      // Retried, as Alertmanager does: a rotated password or a directory outage behind the
      // server heals, and a page that waits beats a page that is dropped.
      throw NotificationException.retryable(
          "SMTP authentication refused by "
              + config.host()
              + ":"
              + config.port()
              + " for user '"
              + config.authUsername()
              + "' (check auth_username and auth_password): "
              + describe(e),
          e);
    } catch (MessagingException e) {
      if (e.getMessage() != null && e.getMessage().contains("STARTTLS is required")) {
        throw NotificationException.retryable(
            "require_tls is set but "
                + config.host()
                + ":"
                + config.port()
                + " does not offer STARTTLS; nothing was sent in the clear",
            e);
      }
      Throwable tls = sslCause(e);
      if (tls != null) {
        throw NotificationException.retryable(
            "TLS with "
                + config.host()
                + ":"
                + config.port()
                + " failed: "
                + rootMessage(tls)
                + " (a server certificate from a private CA needs tls_config.ca_file)",
            e);
      }
      String problem = "SMTP delivery failed: " + describe(e);
      throw isTransient(e)
          ? NotificationException.retryable(problem, e)
          : NotificationException.permanent(problem, e);
    }
  }

  /**
   * Builds {@code sample}'s mail and writes it nowhere, gets the (unconnected) transport, and when
   * the server is spoken to with TLS, builds the ClientHello the first connection would send.
   */
  @Override
  public void warmUp(Notification sample) throws Exception {
    message(sample).writeTo(OutputStream.nullOutputStream());
    session.getTransport(protocol(config)).close();
    if (config.requireTls() || config.tls().implicit(config.port())) {
      ClientHello.build(SSLContext.getDefault(), config.host(), config.port());
    }
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
      return render(configured, notification);
    }
    return notification.title();
  }

  /** A header template rendered with the group's common labels and its first alert's value. */
  private static String render(String template, Notification notification) {
    double value = notification.alerts().isEmpty() ? 0 : notification.alerts().get(0).value();
    return Template.render(template, notification.commonLabels(), value);
  }

  /** The plain-text body: the group title, then each alert. */
  static String body(Notification notification, Links links) {
    StringBuilder sb = new StringBuilder();
    sb.append(notification.title()).append("\n");
    for (AlertTransition alert : notification.alerts()) {
      sb.append("\n")
          .append(alert.state() == AlertTransition.State.FIRING ? "[FIRING] " : "[RESOLVED] ")
          .append(alert.rule())
          .append("\n");
      appendMap(sb, "Labels", alert.labels());
      appendMap(sb, "Annotations", alert.annotations());
      sb.append("Value: ").append(Template.formatValue(alert.value())).append('\n');
      sb.append("Starts at: ").append(alert.startsAt()).append('\n');
      if (alert.endsAt() != null) {
        sb.append("Ends at: ").append(alert.endsAt()).append('\n');
      }
      for (Links.Link link : links.forAlert(alert)) {
        sb.append(link.label()).append(": ").append(link.url()).append('\n');
      }
    }
    return sb.toString();
  }

  /**
   * The HTML body: the group title, then a table per alert (state and rule in a coloured header —
   * red firing, green resolved — labels, annotations, value, times, links). Every value escaped.
   */
  static String html(Notification notification, Links links) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html><html><body style=\"font-family:sans-serif;font-size:14px\">")
        .append("<h2 style=\"font-size:18px\">")
        .append(escape(notification.title()))
        .append("</h2>");
    for (AlertTransition alert : notification.alerts()) {
      boolean firing = alert.state() == AlertTransition.State.FIRING;
      sb.append("<table style=\"border-collapse:collapse;margin:0 0 16px 0;min-width:480px\">")
          .append("<tr><th colspan=\"2\" style=\"text-align:left;padding:6px 8px;color:#fff;")
          .append("background:")
          .append(firing ? "#c62828" : "#2e7d32")
          .append("\">")
          .append(firing ? "[FIRING] " : "[RESOLVED] ")
          .append(escape(alert.rule()))
          .append("</th></tr>");
      new TreeMap<>(alert.labels()).forEach((k, v) -> row(sb, k, escape(v)));
      new TreeMap<>(alert.annotations()).forEach((k, v) -> row(sb, k, escape(v)));
      row(sb, "Value", escape(Template.formatValue(alert.value())));
      row(sb, "Starts at", escape(String.valueOf(alert.startsAt())));
      if (alert.endsAt() != null) {
        row(sb, "Ends at", escape(String.valueOf(alert.endsAt())));
      }
      for (Links.Link link : links.forAlert(alert)) {
        row(
            sb,
            link.label(),
            "<a href=\"" + escape(link.url()) + "\">" + escape(link.url()) + "</a>");
      }
      sb.append("</table>");
    }
    return sb.append("</body></html>").toString();
  }

  private static void row(StringBuilder sb, String name, String valueHtml) {
    sb.append("<tr><td style=\"padding:3px 8px;border-bottom:1px solid #ddd;color:#555\">")
        .append(escape(name))
        .append("</td><td style=\"padding:3px 8px;border-bottom:1px solid #ddd\">")
        .append(valueHtml)
        .append("</td></tr>");
  }

  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * {@code title:} and one indented {@code key = value} line per entry, by key; nothing if empty.
   */
  private static void appendMap(StringBuilder sb, String title, Map<String, String> map) {
    if (map.isEmpty()) {
      return;
    }
    sb.append(title).append(":\n");
    new TreeMap<>(map)
        .forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
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
        message.setHeader(h.getKey(), render(h.getValue(), notification));
      }
    }
    message.setSubject(subject(config, notification), StandardCharsets.UTF_8.name());
    // Plain text and HTML as alternatives: Alertmanager sends HTML, text-only clients read the
    // other.
    MimeMultipart alternatives = new MimeMultipart("alternative");
    MimeBodyPart text = new MimeBodyPart();
    text.setText(body(notification, links), StandardCharsets.UTF_8.name());
    MimeBodyPart html = new MimeBodyPart();
    html.setText(html(notification, links), StandardCharsets.UTF_8.name(), "html");
    alternatives.addBodyPart(text);
    alternatives.addBodyPart(html);
    message.setContent(alternatives);
    message.saveChanges();
    return message;
  }

  private static String protocol(EmailConfig config) {
    return config.tls().implicit(config.port()) ? "smtps" : "smtp";
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
    SSLSocketFactory trusting = config.tls().socketFactory();
    if (trusting != null) {
      // Used for implicit TLS and for STARTTLS alike.
      props.put(p + "ssl.socketFactory", trusting);
    }
    boolean implicit = config.tls().implicit(config.port());
    boolean startTls = config.requireTls() && !implicit;
    props.put(p + "starttls.enable", Boolean.toString(startTls));
    props.put(p + "starttls.required", Boolean.toString(startTls));
    if (config.tls().insecureSkipVerify()) {
      props.put(p + "ssl.trust", "*");
      props.put(p + "ssl.checkserveridentity", "false");
    } else if (config.requireTls() || implicit) {
      props.put(p + "ssl.checkserveridentity", "true");
    }
    return props;
  }

  /** Whether retrying may help: connection trouble or a 4xx (temporary) SMTP reply. */
  private static boolean isTransient(MessagingException e) {
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

  private static Throwable sslCause(Throwable e) {
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SSLException) {
        return t;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
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
