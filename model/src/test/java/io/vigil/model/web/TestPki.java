package io.vigil.model.web;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made afresh for each test (no private key is checked in): a CA, server certificates
 * for {@code 127.0.0.1} and {@code localhost}, client certificates; EC P-256 keys, written as PEM
 * files the way openssl and cert-manager write them.
 */
public final class TestPki {
  /** A key and its certificate. */
  public record Issued(KeyPair keys, X509Certificate cert) {}

  private TestPki() {}

  /** A self-signed CA. */
  public static Issued ca(String cn) throws Exception {
    KeyPair keys = ecKeys();
    X500Name name = new X500Name("CN=" + cn);
    JcaX509v3CertificateBuilder builder = builder(name, name, keys);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    return new Issued(keys, sign(builder, keys.getPrivate()));
  }

  /** A certificate for {@code cn} issued by {@code ca}, valid for 127.0.0.1 and localhost. */
  public static Issued issue(Issued ca, String cn) throws Exception {
    return issue(
        ca,
        cn,
        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        new GeneralName(GeneralName.dNSName, "localhost"));
  }

  /**
   * A certificate for {@code cn} issued by {@code ca}, valid for the DNS names {@code dnsNames}
   * only (not for 127.0.0.1).
   */
  public static Issued issueFor(Issued ca, String cn, String... dnsNames) throws Exception {
    GeneralName[] names = new GeneralName[dnsNames.length];
    for (int i = 0; i < dnsNames.length; i++) {
      names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
    }
    return issue(ca, cn, names);
  }

  /** As {@link #issue(Issued, String)}, with an RSA key (2048 bits). */
  public static Issued issueRsa(Issued ca, String cn) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return issue(
        ca,
        cn,
        generator.generateKeyPair(),
        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        new GeneralName(GeneralName.dNSName, "localhost"));
  }

  private static Issued issue(Issued ca, String cn, GeneralName... names) throws Exception {
    return issue(ca, cn, ecKeys(), names);
  }

  private static Issued issue(Issued ca, String cn, KeyPair keys, GeneralName... names)
      throws Exception {
    JcaX509v3CertificateBuilder builder =
        builder(
            new X500Name(ca.cert().getSubjectX500Principal().getName()),
            new X500Name("CN=" + cn),
            keys);
    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    return new Issued(keys, sign(builder, ca.keys().getPrivate()));
  }

  /** Writes the certificate as PEM. */
  public static Path writeCert(Path file, X509Certificate cert) throws IOException {
    return write(file, cert);
  }

  /** Writes the key as openssl does for EC keys ({@code BEGIN EC PRIVATE KEY}, SEC1). */
  public static Path writeKey(Path file, PrivateKey key) throws IOException {
    return write(file, key);
  }

  /** Writes the key as PKCS#8 ({@code BEGIN PRIVATE KEY}). */
  public static Path writePkcs8Key(Path file, PrivateKey key) throws IOException {
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    return Files.writeString(file, pem);
  }

  /**
   * A client TLS context trusting {@code serverCa}, presenting {@code client} when it is not null.
   */
  public static SSLContext clientContext(Issued serverCa, Issued client)
      throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", serverCa.cert());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(
          "client", client.keys().getPrivate(), new char[0], new Certificate[] {client.cert()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  private static Path write(Path file, Object pemObject) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(pemObject);
    }
    return Files.writeString(file, out.toString());
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(64, new SecureRandom()),
        Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(Duration.ofDays(1))),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder builder, PrivateKey issuerKey)
      throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }
}
