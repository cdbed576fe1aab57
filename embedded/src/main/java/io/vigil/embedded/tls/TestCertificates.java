package io.vigil.embedded.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for tests, made by the JDK's own {@code keytool}: for each name, an EC
 * key pair valid for 127.0.0.1 and localhost, written as {@code <name>.p12} (PKCS#12, password
 * {@value #PASSWORD}), {@code <name>.crt} (certificate, PEM) and {@code <name>.key} (private key,
 * PKCS#8 PEM) — the files a Kubernetes TLS Secret holds.
 */
public final class TestCertificates {
  /** The PKCS#12 stores' password. */
  public static final String PASSWORD = "changeit";

  private TestCertificates() {}

  /** Makes a certificate for each of {@code names} in {@code dir}. */
  public static void make(Path dir, String... names)
      throws IOException, InterruptedException, GeneralSecurityException {
    for (String name : names) {
      Process keytool =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                  "-genkeypair",
                  "-alias",
                  name,
                  "-keyalg",
                  "EC",
                  "-groupname",
                  "secp256r1",
                  "-dname",
                  "CN=" + name,
                  "-ext",
                  "SAN=ip:127.0.0.1,dns:localhost",
                  "-validity",
                  "2",
                  "-storetype",
                  "PKCS12",
                  "-storepass",
                  PASSWORD,
                  "-keystore",
                  dir.resolve(name + ".p12").toString())
              .redirectErrorStream(true)
              .start();
      String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
        keytool.destroyForcibly();
        throw new IOException("keytool failed for " + name + ": " + output);
      }
      KeyStore store = keyStore(dir, name);
      PrivateKey key = (PrivateKey) store.getKey(name, PASSWORD.toCharArray());
      Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY", key.getEncoded()));
      Files.writeString(
          dir.resolve(name + ".crt"), pem("CERTIFICATE", store.getCertificate(name).getEncoded()));
    }
  }

  /** The PKCS#12 store made for {@code name} in {@code dir}. */
  public static KeyStore keyStore(Path dir, String name)
      throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
      store.load(in, PASSWORD.toCharArray());
    }
    return store;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
