package io.vigil.alerting.notify.email;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * How an {@code email_configs} entry uses TLS beyond {@code require_tls}: Alertmanager's {@code
 * force_implicit_tls} and the parts of its {@code tls_config} that Vigil implements.
 *
 * @param forceImplicitTls true: implicit TLS (SMTPS) on any port; false: never; null: on port 465
 * @param caPem {@code tls_config.ca_file}'s certificates (PEM): the server's certificate must chain
 *     to one of them instead of the JDK's trust store; null for the JDK's
 * @param insecureSkipVerify {@code tls_config.insecure_skip_verify}: accept any certificate and
 *     name (testing only)
 */
public record EmailTls(Boolean forceImplicitTls, String caPem, boolean insecureSkipVerify) {

  /** Checks that {@code caPem} holds certificates. */
  public EmailTls {
    if (caPem != null) {
      certificates(caPem);
    }
  }

  /** Alertmanager's defaults: implicit TLS on port 465, the JDK's trust store, names checked. */
  public static EmailTls defaults() {
    return new EmailTls(null, null, false);
  }

  /** Whether to speak TLS from the first byte on {@code port}. */
  boolean implicit(int port) {
    return forceImplicitTls != null ? forceImplicitTls : port == 465;
  }

  /** A socket factory trusting {@code caPem}'s certificates, or null for the JDK's default. */
  SSLSocketFactory socketFactory() {
    if (caPem == null) {
      return null;
    }
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (Certificate c : certificates(caPem)) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build the SMTP trust store", e);
    }
  }

  private static Collection<? extends Certificate> certificates(String pem) {
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("holds no PEM certificate");
      }
      return certs;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage());
    }
  }
}
