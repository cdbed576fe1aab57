package io.vigil.model.web;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import io.vigil.model.config.ConfigException;
import io.vigil.model.tls.ServerCredentials;
import io.vigil.model.tls.ServerCredentials.Source;
import io.vigil.model.tls.TlsReloadFailures;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * Turns a {@link TlsServerConfig} into the JDK server's {@link HttpsConfigurator}: the key and
 * chain from PEM, the client CAs as trust anchors, the protocol range and the client-certificate
 * policy. The files are read at start and again when they change ({@link ServerCredentials}).
 */
final class ServerTls {
  private static final String P = "tls_server_config.";

  /** The admin port's name in reload warnings and the failure counter. */
  static final String SERVER = "admin";

  private ServerTls() {}

  /**
   * Builds the configurator; paths are resolved against {@code dir}.
   *
   * @throws ConfigException naming the key when a file cannot be read or does not hold what it
   *     should, or when the key does not belong to the certificate
   */
  static HttpsConfigurator configurator(
      TlsServerConfig tls, Path dir, TlsReloadFailures reloadFailures) {
    Source cert =
        tls.certFile() != null
            ? Source.file(P + "cert_file", dir.resolve(tls.certFile()))
            : Source.inline(P + "cert", tls.cert());
    Source key =
        tls.keyFile() != null
            ? Source.file(P + "key_file", dir.resolve(tls.keyFile()))
            : Source.inline(P + "key", tls.key());
    Source clientCas =
        tls.clientAuth() == TlsServerConfig.ClientAuth.NONE
            ? null
            : Source.file(P + "client_ca_file", dir.resolve(tls.clientCaFile()));
    ServerCredentials credentials =
        ServerCredentials.load(SERVER, cert, key, clientCas, reloadFailures);
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          new KeyManager[] {credentials.keyManager()},
          clientCas == null ? null : new TrustManager[] {credentials.trustManager()},
          null);
      return new Configurator(context, tls);
    } catch (GeneralSecurityException e) {
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
}
