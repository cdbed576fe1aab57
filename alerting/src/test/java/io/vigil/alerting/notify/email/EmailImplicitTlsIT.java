package io.vigil.alerting.notify.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.notify.Links;
import io.vigil.alerting.notify.NotificationException;
import io.vigil.model.web.TestPki;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Implicit TLS (SMTPS) against GreenMail, which has no STARTTLS: GreenMail serves a certificate for
 * 127.0.0.1 made by the test (its {@code greenmail.tls.keystore.*} properties, read when its TLS
 * socket factory first loads — no other test in this JVM uses GreenMail's TLS); the notifier trusts
 * it through {@code tls_config.ca_file} and checks the name.
 */
class EmailImplicitTlsIT {
  private static final String KEYSTORE_PASSWORD = "greenmail-test";
  @TempDir static Path dir;
  private static String caPem;

  private GreenMail greenMail;

  @BeforeAll
  static void makeCertificates() throws Exception {
    TestPki.Issued ca = TestPki.ca("smtp test ca");
    TestPki.Issued server = TestPki.issue(ca, "smtp.test");
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "greenmail",
        server.keys().getPrivate(),
        KEYSTORE_PASSWORD.toCharArray(),
        new Certificate[] {server.cert()});
    Path keystore = dir.resolve("greenmail.p12");
    try (OutputStream out = Files.newOutputStream(keystore)) {
      keys.store(out, KEYSTORE_PASSWORD.toCharArray());
    }
    System.setProperty("greenmail.tls.keystore.file", keystore.toString());
    System.setProperty("greenmail.tls.keystore.password", KEYSTORE_PASSWORD);
    System.setProperty("greenmail.tls.key.password", KEYSTORE_PASSWORD);
    caPem = Files.readString(TestPki.writeCert(dir.resolve("ca.crt"), ca.cert()));
  }

  @AfterAll
  static void clearProperties() {
    System.clearProperty("greenmail.tls.keystore.file");
    System.clearProperty("greenmail.tls.keystore.password");
    System.clearProperty("greenmail.tls.key.password");
  }

  @BeforeEach
  void start() {
    greenMail =
        new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS).dynamicPort());
    greenMail.start();
    greenMail.setUser("vigil@example.org", "alerts", "s3cret-smtp");
  }

  @AfterEach
  void stop() {
    greenMail.stop();
  }

  private EmailConfig config(EmailTls tls) {
    return new EmailConfig(
        false,
        List.of("oncall@example.org"),
        "vigil@example.org",
        "vigil.test",
        "127.0.0.1",
        greenMail.getSmtps().getPort(),
        "alerts",
        Secret.of("s3cret-smtp"),
        true,
        Map.of(),
        tls);
  }

  @Test
  void deliversOverImplicitTlsToAServerTrustedThroughCaFile() throws Exception {
    new EmailNotifier(config(new EmailTls(true, caPem, false)), Links.none())
        .send(Alerts.notification(1, Alerts.firing("checkout error ratio is 0.2")));

    assertThat(greenMail.waitForIncomingEmail(10_000, 1)).isTrue();
    assertThat(greenMail.getReceivedMessages()[0].getSubject())
        .startsWith("[FIRING:1] HighErrorRatio");
  }

  @Test
  void refusesAServerWhoseCertificateItCannotVerify() {
    EmailNotifier notifier =
        new EmailNotifier(config(new EmailTls(true, null, false)), Links.none());

    assertThatThrownBy(() -> notifier.send(Alerts.notification(1, Alerts.firing("x"))))
        .isInstanceOfSatisfying(
            NotificationException.class,
            e -> {
              assertThat(e.retryable()).as("a TLS failure is retried").isTrue();
              assertThat(e.getMessage())
                  .startsWith("TLS with 127.0.0.1:")
                  .contains("unable to find valid certification path")
                  .contains("tls_config.ca_file");
            });
    assertThat(greenMail.getReceivedMessages()).isEmpty();
  }
}
