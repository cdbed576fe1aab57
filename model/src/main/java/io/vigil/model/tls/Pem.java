package io.vigil.model.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
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
 * PEM certificates and private keys as openssl, cert-manager and Kubernetes TLS Secrets write them:
 * keys in PKCS#1 ({@code BEGIN RSA PRIVATE KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}) or PKCS#8
 * ({@code BEGIN PRIVATE KEY}), RSA, EC or Ed25519, unencrypted. What does not parse is an {@link
 * IllegalArgumentException} whose message says why without quoting the key.
 */
public final class Pem {
  private Pem() {}

  /** The certificates in {@code pem}, in order (a chain: the server's first). */
  public static List<X509Certificate> certificates(String pem) {
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException("holds no PEM certificate");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage());
    }
  }

  /**
   * The first private key in {@code pem}; {@code cert} gives the curve of a SEC1 key that omits it.
   */
  public static PrivateKey privateKey(String pem, X509Certificate cert) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMKeyPair pair) {
          return toJca(pair.getPrivateKeyInfo(), cert);
        }
        if (o instanceof PrivateKeyInfo info) {
          return toJca(info, cert);
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new IllegalArgumentException(
              "the private key is encrypted; give it unencrypted (as exporter-toolkit)");
        }
        // Anything else (EC PARAMETERS before an EC key, a certificate) is skipped.
      }
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // The message may quote the key's bytes: not shown.
      throw new IllegalArgumentException(
          "not a PEM private key (" + e.getClass().getSimpleName() + ")");
    }
    throw new IllegalArgumentException("holds no PEM private key");
  }

  /** The JDK's own key object (BouncyCastle only parses; no provider is installed). */
  private static PrivateKey toJca(PrivateKeyInfo info, X509Certificate cert) throws IOException {
    ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
    String algorithm;
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      algorithm = "RSA";
    } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      algorithm = "EC";
    } else if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
      algorithm = "Ed25519";
    } else {
      throw new IllegalArgumentException(
          "unsupported key algorithm " + oid + " (RSA, EC, Ed25519)");
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
      throw new IllegalArgumentException("not a usable " + algorithm + " key: " + e.getMessage());
    }
  }

  /**
   * Whether {@code key} belongs to {@code cert}: signs with the one and verifies with the other.
   * True for key types it cannot sign with (they are left to the handshake).
   */
  public static boolean matches(PrivateKey key, X509Certificate cert) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC", "ECDSA" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      return true;
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
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // a key of another type than the certificate's lands here too
    }
  }
}
