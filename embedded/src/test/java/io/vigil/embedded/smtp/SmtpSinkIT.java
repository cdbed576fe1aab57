package io.vigil.embedded.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SmtpSinkIT {
  private SmtpSink sink;

  @BeforeEach
  void start() {
    sink = SmtpSink.start(0);
  }

  @AfterEach
  void stop() {
    sink.close();
  }

  @Test
  void receivesAPlainTextMailOncePerMessageNotPerRecipient() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    assertThat(sink.host()).isEqualTo("127.0.0.1");
    assertThat(sink.port()).isPositive();

    MimeMessage message = new MimeMessage(session());
    message.setFrom(new InternetAddress("vigil@example.org"));
    message.setRecipients(Message.RecipientType.TO, "oncall@example.org, sre@example.org");
    message.setSubject("[FIRING:1] HighErrorRate checkout");
    message.setText("error ratio 0.25 > 0.05");
    Transport.send(message);

    List<ReceivedMail> mails = sink.awaitMessages(1, Duration.ofSeconds(10));
    assertThat(mails)
        .singleElement()
        .satisfies(
            mail -> {
              assertThat(mail.subject()).isEqualTo("[FIRING:1] HighErrorRate checkout");
              assertThat(mail.from()).isEqualTo("vigil@example.org");
              assertThat(mail.to()).containsExactly("oncall@example.org", "sre@example.org");
              assertThat(mail.text()).isEqualTo("error ratio 0.25 > 0.05");
              assertThat(mail.receivedAt()).isAfter(before);
            });
  }

  @Test
  void takesThePlainTextPartOfAMultipartMail() throws Exception {
    MimeMessage message = new MimeMessage(session());
    message.setFrom(new InternetAddress("vigil@example.org"));
    message.setRecipients(Message.RecipientType.TO, "oncall@example.org");
    message.setSubject("multi");
    MimeMultipart alternative = new MimeMultipart("alternative");
    MimeBodyPart plain = new MimeBodyPart();
    plain.setText("plain body", "UTF-8");
    MimeBodyPart html = new MimeBodyPart();
    html.setContent("<b>html body</b>", "text/html; charset=UTF-8");
    alternative.addBodyPart(plain);
    alternative.addBodyPart(html);
    message.setContent(alternative);
    Transport.send(message);

    assertThat(sink.awaitMessages(1, Duration.ofSeconds(10)))
        .extracting(ReceivedMail::text)
        .containsExactly("plain body");
  }

  @Test
  void acceptsAnyCredentialsAndNotifiesListeners() throws Exception {
    List<ReceivedMail> seen = new CopyOnWriteArrayList<>();
    CountDownLatch notified = new CountDownLatch(1);
    sink.onMessage(
        mail -> {
          seen.add(mail);
          notified.countDown();
        });
    Properties props = sessionProperties();
    props.put("mail.smtp.auth", "true");
    MimeMessage message = new MimeMessage(Session.getInstance(props));
    message.setFrom(new InternetAddress("vigil@example.org"));
    message.setRecipients(Message.RecipientType.TO, "oncall@example.org");
    message.setSubject("with auth");
    message.setText("x");
    Transport.send(message, "someone", "anything");

    assertThat(notified.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(seen).extracting(ReceivedMail::subject).containsExactly("with auth");
  }

  @Test
  void timesOutWithWhatWasReceivedAndClears() throws Exception {
    MimeMessage message = new MimeMessage(session());
    message.setFrom(new InternetAddress("vigil@example.org"));
    message.setRecipients(Message.RecipientType.TO, "oncall@example.org");
    message.setSubject("only one");
    message.setText("x");
    Transport.send(message);

    assertThatThrownBy(() -> sink.awaitMessages(2, Duration.ofMillis(300)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("received 1")
        .hasMessageContaining("only one");

    sink.clear();
    assertThat(sink.messages()).isEmpty();
  }

  private Session session() {
    return Session.getInstance(sessionProperties());
  }

  private Properties sessionProperties() {
    Properties props = new Properties();
    props.put("mail.smtp.host", sink.host());
    props.put("mail.smtp.port", Integer.toString(sink.port()));
    return props;
  }
}
