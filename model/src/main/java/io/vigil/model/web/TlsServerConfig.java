package io.vigil.model.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.util.List;

/**
 * {@code tls_server_config} of a web configuration (exporter-toolkit's names and defaults).
 *
 * @param certFile PEM certificate chain, the server's first; or {@code cert}
 * @param keyFile the PEM private key (PKCS#1, SEC1 or PKCS#8; not encrypted); or {@code key}
 * @param cert the chain inline
 * @param key the key inline (a secret)
 * @param clientAuthType {@code NoClientCert} (default), {@code VerifyClientCertIfGiven} or {@code
 *     RequireAndVerifyClientCert}; the two that accept unverified certificates are refused
 * @param clientCaFile PEM certificates that client certificates must chain to; required with the
 *     verifying types
 * @param minVersion {@code TLS10} … {@code TLS13}; default {@code TLS12}
 * @param maxVersion default {@code TLS13}
 * @param preferServerCipherSuites accepted and ignored (also ignored by Go since 1.18)
 * @param cipherSuites refused
 * @param curvePreferences refused
 * @param clientAllowedSans refused
 */
public record TlsServerConfig(
    @JsonProperty("cert_file") String certFile,
    @JsonProperty("key_file") String keyFile,
    @JsonProperty("cert") String cert,
    @JsonProperty("key") String key,
    @JsonProperty("client_auth_type") String clientAuthType,
    @JsonProperty("client_ca_file") String clientCaFile,
    @JsonProperty("min_version") String minVersion,
    @JsonProperty("max_version") String maxVersion,
    @JsonProperty("prefer_server_cipher_suites") Boolean preferServerCipherSuites,
    @JsonProperty("cipher_suites") List<String> cipherSuites,
    @JsonProperty("curve_preferences") List<String> curvePreferences,
    @JsonProperty("client_allowed_sans") List<String> clientAllowedSans) {

  private static final String P = "tls_server_config.";

  /** How a client certificate is asked for. */
  enum ClientAuth {
    NONE,
    VERIFY_IF_GIVEN,
    REQUIRE_AND_VERIFY
  }

  /** Checks values and applies defaults. */
  public TlsServerConfig {
    if (certFile != null && cert != null) {
      throw new ConfigException(P + "cert", "cert and cert_file are exclusive: give one");
    }
    if (keyFile != null && key != null) {
      throw new ConfigException(P + "key", "key and key_file are exclusive: give one");
    }
    if (blank(certFile) && blank(cert)) {
      throw new ConfigException(P + "cert_file", certFile, "a certificate is required");
    }
    if (blank(keyFile) && blank(key)) {
      throw new ConfigException(P + "key_file", keyFile, "a private key is required");
    }
    clientAuthType = blank(clientAuthType) ? "NoClientCert" : clientAuthType;
    ClientAuth auth = clientAuth(clientAuthType);
    if (auth != ClientAuth.NONE && blank(clientCaFile)) {
      throw new ConfigException(
          P + "client_ca_file", clientCaFile, "required with client_auth_type " + clientAuthType);
    }
    if (auth == ClientAuth.NONE && !blank(clientCaFile)) {
      throw new ConfigException(
          P + "client_auth_type",
          clientAuthType,
          "client_ca_file is set, so give VerifyClientCertIfGiven or RequireAndVerifyClientCert");
    }
    minVersion = blank(minVersion) ? "TLS12" : minVersion;
    maxVersion = blank(maxVersion) ? "TLS13" : maxVersion;
    int min = protocolIndex("min_version", minVersion);
    int max = protocolIndex("max_version", maxVersion);
    if (min > max) {
      throw new ConfigException(P + "max_version", maxVersion, "must not be below " + minVersion);
    }
    if (cipherSuites != null) {
      throw WebConfig.unsupported(P + "cipher_suites");
    }
    if (curvePreferences != null) {
      throw WebConfig.unsupported(P + "curve_preferences");
    }
    if (clientAllowedSans != null) {
      throw WebConfig.unsupported(P + "client_allowed_sans");
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static ClientAuth clientAuth(String type) {
    return switch (type) {
      case "NoClientCert" -> ClientAuth.NONE;
      case "VerifyClientCertIfGiven" -> ClientAuth.VERIFY_IF_GIVEN;
      case "RequireAndVerifyClientCert" -> ClientAuth.REQUIRE_AND_VERIFY;
      case "RequestClientCert", "RequireAnyClientCert" ->
          throw new ConfigException(
              P + "client_auth_type",
              type,
              "not supported: Vigil verifies every client certificate it accepts; use"
                  + " VerifyClientCertIfGiven or RequireAndVerifyClientCert");
      default ->
          throw new ConfigException(
              P + "client_auth_type",
              type,
              "must be NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert");
    };
  }

  private static final List<String> VERSIONS = List.of("TLS10", "TLS11", "TLS12", "TLS13");
  private static final List<String> JAVA_NAMES = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

  private static int protocolIndex(String key, String version) {
    int i = VERSIONS.indexOf(version);
    if (i < 0) {
      throw new ConfigException(P + key, version, "must be one of " + VERSIONS);
    }
    return i;
  }

  /** How client certificates are asked for. */
  ClientAuth clientAuth() {
    return clientAuth(clientAuthType);
  }

  /** The JSSE protocol names from {@code min_version} to {@code max_version}. */
  List<String> protocols() {
    return JAVA_NAMES.subList(
        protocolIndex("min_version", minVersion), protocolIndex("max_version", maxVersion) + 1);
  }

  @Override
  public String toString() {
    return "TlsServerConfig[certFile="
        + certFile
        + ", keyFile="
        + keyFile
        + ", key="
        + (key == null ? null : "<secret>")
        + ", clientAuthType="
        + clientAuthType
        + ", clientCaFile="
        + clientCaFile
        + ", minVersion="
        + minVersion
        + ", maxVersion="
        + maxVersion
        + "]";
  }
}
