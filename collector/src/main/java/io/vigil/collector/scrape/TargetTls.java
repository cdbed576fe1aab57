package io.vigil.collector.scrape;

import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The {@link SSLContext} of a scrape job's {@code tls_config}: trust in its CA (else the JVM's),
 * its client certificate, or — with {@code insecure_skip_verify} — no check of the target's
 * certificate or name at all, as Prometheus does; with {@code server_name}, the name the target's
 * certificate is checked against. PEM files as a Kubernetes Secret or a service account's {@code
 * ca.crt} hold them.
 */
final class TargetTls {
  private static final char[] NO_PASSWORD = new char[0];

  private TargetTls() {}

  /**
   * The context for {@code tls}; a file that does not hold what it should is a {@link
   * ConfigException} naming {@code prefix} + the key.
   */
  static SSLContext context(ScrapeSettings.TlsConfig tls, String prefix) {
    try {
      TrustManager[] trust;
      if (tls.insecureSkipVerify()) {
        trust = new TrustManager[] {new TrustingAll()};
      } else if (tls.caFile() != null || tls.serverName() != null) {
        KeyStore cas = null; // the JVM's trusted CAs
        if (tls.caFile() != null) {
          cas = KeyStore.getInstance(KeyStore.getDefaultType());
          cas.load(null, null);
          int i = 0;
          for (Certificate ca : certificates(tls.caFile(), prefix + "ca_file")) {
            cas.setCertificateEntry("ca-" + i++, ca);
          }
        }
        TrustManagerFactory f =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(cas);
        trust = f.getTrustManagers();
        if (tls.serverName() != null) {
          trust = new TrustManager[] {new ServerNameTrust(x509(trust), tls.serverName())};
        }
      } else {
        trust = null; // the JVM's trusted CAs
      }
      KeyManager[] keys = null;
      if (tls.certFile() != null) {
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        Collection<? extends Certificate> chain =
            certificates(tls.certFile(), prefix + "cert_file");
        identity.setKeyEntry(
            "client",
            privateKey(tls.keyFile(), prefix + "key_file"),
            NO_PASSWORD,
            chain.toArray(new Certificate[0]));
        KeyManagerFactory f =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        f.init(identity, NO_PASSWORD);
        keys = f.getKeyManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, trust, null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigException(prefix + "ca_file", "cannot set up TLS: " + e.getMessage());
    }
  }

  /**
   * The parameters of {@code context}'s connections: with {@code server_name}, that name as SNI
   * (when it is a host name: Go sends none for an IP address either). Null: the client's defaults.
   *
   * <p>The JDK's HTTP client replaces the SNI with the host of the URL when that is a name; only a
   * target addressed by IP (as Kubernetes pods are) sends {@code server_name}. The certificate is
   * checked against {@code server_name} either way ({@link ServerNameTrust}).
   */
  static SSLParameters parameters(ScrapeSettings.TlsConfig tls, SSLContext context) {
    if (tls.serverName() == null || ServerNameTrust.isIpLiteral(tls.serverName())) {
      return null;
    }
    SSLParameters parameters = context.getDefaultSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(tls.serverName())));
    return parameters;
  }

  private static X509ExtendedTrustManager x509(TrustManager[] managers) {
    for (TrustManager m : managers) {
      if (m instanceof X509ExtendedTrustManager x509) {
        return x509;
      }
    }
    throw new IllegalStateException("the JDK's trust manager factory made no X509 manager");
  }

  private static Collection<? extends Certificate> certificates(String file, String key) {
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new ConfigException(key, file, "holds no PEM certificate");
      }
      return certs;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(key, file, "not a PEM certificate: " + e.getMessage());
    }
  }

  /** A PKCS#8 private key (EC or RSA) from a PEM file. */
  private static PrivateKey privateKey(String file, String key) {
    String pem;
    try {
      pem = Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new ConfigException(key, file, "cannot be read: " + e.getMessage());
    }
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new ConfigException(
          key, file, "not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    byte[] der =
        Base64.getMimeDecoder()
            .decode(pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException notThisOne) {
        // try the next algorithm
      }
    }
    throw new ConfigException(key, file, "not an EC, RSA or Ed25519 private key");
  }

  /**
   * {@code insecure_skip_verify}: every certificate is accepted. An {@link
   * X509ExtendedTrustManager} is also where the JDK checks the host name, so that is skipped too.
   */
  private static final class TrustingAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
