package io.vigil.model.web;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import io.vigil.model.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Turns a {@link TlsServerConfig} into the JDK server's {@link HttpsConfigurator}: the key and
 * chain from PEM, the client CAs as trust anchors, the protocol range and the client-certificate
 * policy. Files are read once, at start.
 */
final class ServerTls {
  private static final String P = "tls_server_config.";

  private ServerTls() {}

  /**
   * Builds the configurator; paths are resolved against {@code dir}.
   *
   * @throws ConfigException naming the key when a file cannot be read or does not hold what it
   *     should, or when the key does not belong to the certificate
   */
  static HttpsConfigurator configurator(TlsServerConfig tls, Path dir) {
    List<X509Certificate> chain =
        certificates(
            tls.certFile() != null ? "cert_file" : "cert",
            tls.certFile() != null ? read("cert_file", dir.resolve(tls.certFile())) : tls.cert());
    PrivateKey key =
        privateKey(
            tls.keyFile() != null ? "key_file" : "key",
            tls.keyFile() != null ? read("key_file", dir.resolve(tls.keyFile())) : tls.key(),
            chain.get(0));
    checkPair(key, chain.get(0), tls.keyFile() != null ? "key_file" : "key");
    try {
      char[] none = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", key, none, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, none);
      TrustManagerFactory tmf = null;
      if (tls.clientAuth() != TlsServerConfig.ClientAuth.NONE) {
        Path caFile = dir.resolve(tls.clientCaFile());
        List<X509Certificate> cas = certificates("client_ca_file", read("client_ca_file", caFile));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (int i = 0; i < cas.size(); i++) {
          trust.setCertificateEntry("client-ca-" + i, cas.get(i));
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      return new Configurator(context, tls);
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigException("tls_server_config", "cannot build the TLS context: " + e);
    }
  }

  private static final class Configurator extends HttpsConfigurator {
    private final TlsServerConfig tls;

    Configurator(SSLContext context, TlsServerConfig tls) {
      super(context);
      this.tls = tls;
    }

    @Override
    public void configure(HttpsParameters params) {
      SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
      List<String> enabled = new ArrayList<>(tls.protocols());
      enabled.retainAll(List.of(getSSLContext().getSupportedSSLParameters().getProtocols()));
      ssl.setProtocols(enabled.toArray(new String[0]));
      switch (tls.clientAuth()) {
        case REQUIRE_AND_VERIFY -> ssl.setNeedClientAuth(true);
        case VERIFY_IF_GIVEN -> ssl.setWantClientAuth(true);
        case NONE -> {}
      }
      params.setSSLParameters(ssl);
    }
  }

  private static String read(String key, Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new ConfigException(P + key, file, "cannot read: " + e.getMessage());
    }
  }

  private static List<X509Certificate> certificates(String key, String pem) {
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new ConfigException(P + key, "holds no PEM certificate");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new ConfigException(P + key, "not a PEM certificate: " + e.getMessage());
    }
  }

  private static PrivateKey privateKey(String key, String pem, X509Certificate cert) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMKeyPair pair) {
          return toJca(key, pair.getPrivateKeyInfo(), cert);
        }
        if (o instanceof PrivateKeyInfo info) {
          return toJca(key, info, cert);
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new ConfigException(
              P + key, "the private key is encrypted; give it unencrypted (as exporter-toolkit)");
        }
        // Anything else (EC PARAMETERS before an EC key, a certificate) is skipped.
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ConfigException ce) {
        throw ce;
      }
      // The message may quote the key's bytes: not shown.
      throw new ConfigException(
          P + key, "not a PEM private key (" + e.getClass().getSimpleName() + ")");
    }
    throw new ConfigException(P + key, "holds no PEM private key");
  }

  /** The JDK's own key object (BouncyCastle only parses; no provider is installed). */
  private static PrivateKey toJca(String key, PrivateKeyInfo info, X509Certificate cert)
      throws IOException {
    ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
    String algorithm;
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      algorithm = "RSA";
    } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      algorithm = "EC";
    } else if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
      algorithm = "Ed25519";
    } else {
      throw new ConfigException(
          P + key, "unsupported key algorithm " + oid + " (RSA, EC, Ed25519)");
    }
    try {
      if (algorithm.equals("EC")
          && info.getPrivateKeyAlgorithm().getParameters() == null
          && cert.getPublicKey() instanceof ECPublicKey certKey) {
        // A SEC1 key without its curve: it can only be the certificate's.
        BigInteger d = ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
        return KeyFactory.getInstance("EC")
            .generatePrivate(new ECPrivateKeySpec(d, certKey.getParams()));
      }
      return KeyFactory.getInstance(algorithm)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new ConfigException(P + key, "not a usable " + algorithm + " key: " + e.getMessage());
    }
  }

  /** Signs with the key and verifies with the certificate, so a mismatch fails at start. */
  private static void checkPair(PrivateKey key, X509Certificate cert, String keyName) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return;
    }
    try {
      byte[] probe = new byte[32];
      new SecureRandom().nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // A key of another type than the certificate's lands here too.
    }
    throw new ConfigException(
        P + keyName, "does not belong to the certificate " + cert.getSubjectX500Principal());
  }
}
