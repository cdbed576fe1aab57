package io.vigil.collector.scrape;

import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code tls_config.server_name}: the target's chain is checked as usual, then its certificate
 * against the configured name rather than the host the target was reached at, as Prometheus (Go's
 * {@code tls.Config.ServerName}) does: the subject alternative names only (no common name), a
 * wildcard standing for the whole leftmost label; an IP address against the IP entries.
 */
final class ServerNameTrust extends X509ExtendedTrustManager {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final int DNS = 2;
  private static final int IP = 7;

  private final X509ExtendedTrustManager chains;
  private final String serverName;

  /** Checks chains with {@code chains} (without its host check), names against {@code name}. */
  ServerNameTrust(X509ExtendedTrustManager chains, String serverName) {
    this.chains = chains;
    this.serverName = serverName;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    // The two-argument check is the chain's alone: no host name, whatever the connection's.
    chains.checkServerTrusted(chain, authType);
    if (!matches(chain[0], serverName)) {
      throw new CertificateException(
          "the certificate is for " + names(chain[0]) + ", not server_name " + serverName);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    chains.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    chains.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    chains.checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return chains.getAcceptedIssuers();
  }

  /** Whether {@code cert} is for {@code name}. */
  static boolean matches(X509Certificate cert, String name) throws CertificateParsingException {
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans == null) {
      return false;
    }
    if (isIpLiteral(name)) {
      InetAddress wanted = literal(name);
      for (List<?> san : sans) {
        if ((Integer) san.get(0) == IP && wanted.equals(literal((String) san.get(1)))) {
          return true;
        }
      }
      return false;
    }
    String host = name.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    for (List<?> san : sans) {
      if ((Integer) san.get(0) == DNS && dnsMatches(((String) san.get(1)), host)) {
        return true;
      }
    }
    return false;
  }

  private static boolean dnsMatches(String pattern, String host) {
    String p = pattern.toLowerCase(Locale.ROOT);
    if (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    if (!p.startsWith("*.")) {
      return p.equals(host);
    }
    int dot = host.indexOf('.');
    return dot > 0 && host.substring(dot).equals(p.substring(1));
  }

  static boolean isIpLiteral(String name) {
    if (name.indexOf(':') >= 0) {
      return true;
    }
    if (!IPV4.matcher(name).matches()) {
      return false;
    }
    for (String octet : name.split("\\.")) {
      if (Integer.parseInt(octet) > 255) {
        return false;
      }
    }
    return true;
  }

  /** An IP literal as an address (never a DNS lookup: only literals get here). */
  private static InetAddress literal(String ip) {
    try {
      String bare = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
      return InetAddress.getByName(bare);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static List<String> names(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if ((Integer) san.get(0) == DNS || (Integer) san.get(0) == IP) {
            names.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // named as none
    }
    return names;
  }
}
