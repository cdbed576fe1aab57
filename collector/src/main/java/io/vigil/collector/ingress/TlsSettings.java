package io.vigil.collector.ingress;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import io.vigil.model.tls.ServerCredentials;
import io.vigil.model.tls.ServerCredentials.Source;
import io.vigil.model.tls.TlsReloadFailures;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS for a receiver ({@code tls} under {@code otlp.grpc} or {@code otlp.http}): PEM files as a
 * Kubernetes TLS Secret holds them. With {@code client_ca_file}, senders must present a certificate
 * signed by that CA (mutual TLS). The files are read again when they change, so a rotated Secret is
 * served without a restart ({@link ServerCredentials}).
 *
 * @param certFile the server's certificate chain, PEM
 * @param keyFile its private key, PEM (PKCS#1, SEC1 or PKCS#8; not encrypted)
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

  /**
   * Reads the files; {@code server} names the listener in reload warnings and in {@code failures}.
   *
   * @throws ConfigException naming {@code prefix} + the key when a file cannot be used
   */
  ServerCredentials credentials(String server, String prefix, TlsReloadFailures failures) {
    return ServerCredentials.load(
        server,
        Source.file(prefix + "cert_file", Path.of(certFile)),
        Source.file(prefix + "key_file", Path.of(keyFile)),
        clientCaFile == null ? null : Source.file(prefix + "client_ca_file", Path.of(clientCaFile)),
        failures);
  }
}
