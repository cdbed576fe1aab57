package io.vigil.collector.ingress;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS for a receiver ({@code tls} under {@code otlp.grpc} or {@code otlp.http}): PEM files as a
 * Kubernetes TLS Secret holds them. With {@code client_ca_file}, senders must present a certificate
 * signed by that CA (mutual TLS).
 *
 * @param certFile the server's certificate chain, PEM
 * @param keyFile its private key, PEM (PKCS#8)
 * @param clientCaFile the CA that signs the senders' certificates, PEM; null: no client certificate
 *     asked for
 */
public record TlsSettings(
    @JsonProperty("cert_file") String certFile,
    @JsonProperty("key_file") String keyFile,
    @JsonProperty("client_ca_file") String clientCaFile) {

  /**
   * Checks that the files exist; {@code prefix} names the section in errors (e.g. {@code
   * collector.otlp.http.tls.}).
   */
  public void check(String prefix) {
    if (certFile == null || keyFile == null) {
      throw new ConfigException(prefix + "cert_file", "cert_file and key_file are both required");
    }
    for (String[] file :
        new String[][] {
          {"cert_file", certFile}, {"key_file", keyFile}, {"client_ca_file", clientCaFile}
        }) {
      if (file[1] != null && !Files.isReadable(Path.of(file[1]))) {
        throw new ConfigException(prefix + file[0], file[1], "no such readable file");
      }
    }
  }
}
