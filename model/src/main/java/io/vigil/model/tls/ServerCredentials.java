package io.vigil.model.tls;

import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TLS server's certificate, key and client CAs, read from PEM files at start and again when the
 * files change, as Prometheus' exporter-toolkit does: cert-manager and the kubelet replace a
 * mounted TLS Secret in place, and new handshakes get the new certificate without a restart.
 *
 * <p>At most once a second, on a handshake, the files' modification time, size and identity (a
 * Kubernetes Secret volume swaps a symlink) are compared with those of the last read; only a change
 * re-reads them. A change that does not make a usable pair (a half-written file, a new certificate
 * beside the old key) is refused: the server keeps what it served, logs a warning naming the file,
 * and counts it in {@link TlsReloadFailures}; the next change is tried again. Connections already
 * open, and sessions resumed from them, keep their certificate.
 */
public final class ServerCredentials {
  private static final Logger LOG = LoggerFactory.getLogger(ServerCredentials.class);

  /** How often, at most, the files are looked at. */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  /**
   * Where a piece comes from: a file, watched; or inline text, fixed.
   *
   * @param key the configuration key, in errors and warnings (e.g. {@code
   *     tls_server_config.cert_file})
   * @param file the PEM file, or null
   * @param text the PEM text when {@code file} is null
   */
  public record Source(String key, Path file, String text) {
    /** A watched file. */
    public static Source file(String key, Path file) {
      return new Source(key, file, null);
    }

    /** Inline PEM text. */
    public static Source inline(String key, String text) {
      return new Source(key, null, text);
    }
  }

  /** What was read: the key manager's alias for it, the chain (server first), the key. */
  private record Identity(String alias, X509Certificate[] chain, PrivateKey key) {}

  /** A refused read: which source, why (a {@link TlsReloadFailures} reason), and the message. */
  private static final class Refused extends Exception {
    final Source source;
    final String reason;
    final boolean quoteFile;

    Refused(Source source, String reason, String message, boolean quoteFile) {
      super(message, null, false, false);
      this.source = source;
      this.reason = reason;
      this.quoteFile = quoteFile;
    }
  }

  private final String server;
  private final Source cert;
  private final Source key;
  private final Source clientCas;
  private final TlsReloadFailures failures;
  private final AtomicLong generation = new AtomicLong();
  private final AtomicBoolean checking = new AtomicBoolean();
  private final Keys keys = new Keys();
  private final ClientCas trust;
  private volatile long nextCheck;
  private volatile Identity identity;
  private volatile Identity previous;
  private volatile X509ExtendedTrustManager clientTrust;
  private List<Object> identityStamp;
  private List<Object> clientCaStamp;

  private ServerCredentials(
      String server, Source cert, Source key, Source clientCas, TlsReloadFailures failures) {
    this.server = server;
    this.cert = cert;
    this.key = key;
    this.clientCas = clientCas;
    this.failures = failures;
    this.trust = clientCas == null ? null : new ClientCas();
  }

  /**
   * Reads the certificate chain, its key and the client CAs (null: no client certificates).
   *
   * @param server the server's name in warnings and in the failure counter's {@code server} label
   *     (e.g. {@code admin}, {@code otlp_http})
   * @throws ConfigException naming the source's key (and file) when one cannot be read or used, or
   *     when the key does not belong to the certificate
   */
  public static ServerCredentials load(
      String server, Source cert, Source key, Source clientCas, TlsReloadFailures failures) {
    ServerCredentials c = new ServerCredentials(server, cert, key, clientCas, failures);
    try {
      c.identityStamp = stamp(List.of(cert, key));
      c.identity = c.readIdentity();
      if (clientCas != null) {
        c.clientCaStamp = stamp(List.of(clientCas));
        c.clientTrust = c.readClientCas();
      }
    } catch (Refused r) {
      throw r.quoteFile
          ? new ConfigException(r.source.key(), r.source.file(), r.getMessage())
          : new ConfigException(r.source.key(), r.getMessage());
    }
    c.nextCheck = System.nanoTime() + CHECK_INTERVAL.toNanos();
    return c;
  }

  /** Serves the current certificate; give it to the server's {@code SSLContext}. */
  public X509ExtendedKeyManager keyManager() {
    return keys;
  }

  /** Verifies client certificates against the current client CAs; null without them. */
  public X509ExtendedTrustManager trustManager() {
    return trust;
  }

  /** Re-reads the files that changed since the last look, at most once per interval. */
  private void refresh() {
    long now = System.nanoTime();
    if (now - nextCheck < 0 || !checking.compareAndSet(false, true)) {
      return;
    }
    try {
      nextCheck = now + CHECK_INTERVAL.toNanos();
      List<Object> stamp = stamp(List.of(cert, key));
      if (!stamp.equals(identityStamp)) {
        identityStamp = stamp; // taken before reading: a write during the read is seen next time
        reloadIdentity();
      }
      if (clientCas != null) {
        stamp = stamp(List.of(clientCas));
        if (!stamp.equals(clientCaStamp)) {
          clientCaStamp = stamp;
          reloadClientCas();
        }
      }
    } finally {
      checking.set(false);
    }
  }

  private void reloadIdentity() {
    Identity served = identity;
    try {
      Identity read = readIdentity();
      previous = served;
      identity = read;
      X509Certificate leaf = read.chain()[0];
      LOG.info(
          "{}: TLS certificate reloaded from {}: {} (serial {}, valid until {})",
          server,
          cert.file() != null ? cert.file() : key.file(),
          leaf.getSubjectX500Principal().getName(),
          leaf.getSerialNumber().toString(16),
          leaf.getNotAfter().toInstant());
    } catch (Refused | RuntimeException e) {
      X509Certificate leaf = served.chain()[0];
      refused(
          e,
          "certificate "
              + leaf.getSubjectX500Principal().getName()
              + " (serial "
              + leaf.getSerialNumber().toString(16)
              + ")");
    }
  }

  private void reloadClientCas() {
    try {
      clientTrust = readClientCas();
      LOG.info("{}: client CAs reloaded from {}", server, clientCas.file());
    } catch (Refused | RuntimeException e) {
      refused(e, "client CAs");
    }
  }

  /** A handshake is never failed by a reload: whatever went wrong, the old credentials stay. */
  private void refused(Exception e, String kept) {
    Refused r =
        e instanceof Refused refused
            ? refused
            : new Refused(
                cert, TlsReloadFailures.INVALID, "unexpected: " + e, false); // a bug: say so
    failures.count(server, r.reason);
    LOG.warn(
        "{}: TLS files changed but cannot be used, still serving the {} read before: {} {}: {}",
        server,
        kept,
        r.source.key(),
        r.source.file() != null ? r.source.file() : "(inline)",
        r.getMessage());
  }

  private Identity readIdentity() throws Refused {
    List<X509Certificate> chain = certificates(cert);
    PrivateKey privateKey;
    try {
      privateKey = Pem.privateKey(text(key), chain.get(0));
    } catch (IllegalArgumentException e) {
      throw new Refused(key, TlsReloadFailures.INVALID, e.getMessage(), false);
    }
    if (!Pem.matches(privateKey, chain.get(0))) {
      throw new Refused(
          key,
          TlsReloadFailures.KEY_MISMATCH,
          "does not belong to the certificate "
              + chain.get(0).getSubjectX500Principal()
              + (cert.file() != null ? " in " + cert.file() : ""),
          false);
    }
    return new Identity(
        "vigil-" + generation.incrementAndGet(), chain.toArray(new X509Certificate[0]), privateKey);
  }

  private X509ExtendedTrustManager readClientCas() throws Refused {
    List<X509Certificate> cas = certificates(clientCas);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("client-ca-" + i, cas.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK's trust manager factory made no X509 manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new Refused(clientCas, TlsReloadFailures.INVALID, e.toString(), false);
    }
  }

  private static List<X509Certificate> certificates(Source source) throws Refused {
    String pem = text(source);
    try {
      return Pem.certificates(pem);
    } catch (IllegalArgumentException e) {
      throw new Refused(source, TlsReloadFailures.INVALID, e.getMessage(), false);
    }
  }

  private static String text(Source source) throws Refused {
    if (source.file() == null) {
      return source.text();
    }
    try {
      // Any byte decodes: a file that is not text fails as "not PEM", not as "cannot read".
      return Files.readString(source.file(), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new Refused(
          source, TlsReloadFailures.UNREADABLE, "cannot read: " + e.getMessage(), true);
    }
  }

  /** What tells that a file changed: its modification time, size and identity (inode). */
  private static List<Object> stamp(List<Source> sources) {
    List<Object> stamp = new ArrayList<>();
    for (Source source : sources) {
      if (source.file() == null) {
        continue;
      }
      try {
        BasicFileAttributes a = Files.readAttributes(source.file(), BasicFileAttributes.class);
        stamp.add(a.lastModifiedTime());
        stamp.add(a.size());
        stamp.add(String.valueOf(a.fileKey()));
      } catch (IOException e) {
        stamp.add("unreadable");
      }
    }
    return stamp;
  }

  private Identity identity(String alias) {
    Identity now = identity;
    if (now.alias().equals(alias)) {
      return now;
    }
    // A handshake that chose its alias just before a reload.
    Identity before = previous;
    return before != null && before.alias().equals(alias) ? before : null;
  }

  /**
   * The current identity's alias when its key is of {@code keyType} (the JDK asks per type: {@code
   * EC}, {@code RSA}, {@code EdDSA}, …), else null.
   */
  private String alias(String keyType) {
    Identity id = identity;
    String algorithm = id.key().getAlgorithm();
    boolean fits =
        keyType == null
            || keyType.equals(algorithm)
            || keyType.startsWith(algorithm + "_") // TLS 1.2's EC_EC, RSA_EC: the key's type first
            || (keyType.equals("EdDSA") && algorithm.startsWith("Ed"));
    return fits ? id.alias() : null;
  }

  /** The server's key: the current identity, under an alias that changes with each reload. */
  private final class Keys extends X509ExtendedKeyManager {
    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      refresh();
      return alias(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      refresh();
      return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      String alias = alias(keyType);
      return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Identity id = identity(alias);
      return id == null ? null : id.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Identity id = identity(alias);
      return id == null ? null : id.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return null;
    }
  }

  /** Client certificates checked against the current client CAs. */
  private final class ClientCas extends X509ExtendedTrustManager {
    private X509ExtendedTrustManager current() {
      refresh();
      return clientTrust;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      current().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      current().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      current().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a server's trust manager checks no server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a server's trust manager checks no server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a server's trust manager checks no server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return current().getAcceptedIssuers();
    }
  }
}
