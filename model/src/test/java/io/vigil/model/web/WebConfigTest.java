package io.vigil.model.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.config.ConfigException;
import io.vigil.model.tls.TlsReloadFailures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebConfigTest {
  /** A bcrypt hash in the form of exporter-toolkit's own example (docs/web-config.yml). */
  private static final String ALICE =
      "$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze";

  @TempDir Path dir;

  private WebConfig load(String yaml) throws Exception {
    return load(yaml, Map.of());
  }

  private WebConfig load(String yaml, Map<String, String> env) throws Exception {
    return WebConfig.load(Files.writeString(dir.resolve("web.yml"), yaml), env);
  }

  private ApiSecurity security(String yaml) throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    return ApiSecurity.from(
        load(yaml), dir, "alerting", registry, TlsReloadFailures.register("alerting", registry));
  }

  private void writeServerPki() throws Exception {
    TestPki.Issued ca = TestPki.ca("test ca");
    TestPki.Issued server = TestPki.issue(ca, "server");
    TestPki.writeCert(dir.resolve("ca.crt"), ca.cert());
    TestPki.writeCert(dir.resolve("server.crt"), server.cert());
    TestPki.writeKey(dir.resolve("server.key"), server.keys().getPrivate());
    TestPki.writePkcs8Key(dir.resolve("server-pkcs8.key"), server.keys().getPrivate());
    TestPki.writeKey(dir.resolve("other.key"), TestPki.issue(ca, "other").keys().getPrivate());
  }

  @Test
  void readsAlertmanagersWebConfigWithTlsBasicAuthAndTokens() throws Exception {
    writeServerPki();
    Files.writeString(dir.resolve("tokens"), "# name token\nbot s3cret-bot\n");
    ApiSecurity security =
        security(
            """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              min_version: TLS13
            basic_auth_users:
              alice: %s
            bearer_tokens_file: tokens
            """
                .formatted(ALICE));

    assertThat(security.https()).isNotNull();
    assertThat(security.authenticator()).isNotNull();
    assertThat(security.toString())
        .contains("HTTPS (client certificates: RequireAndVerifyClientCert)")
        .contains("1 basic-auth users")
        .contains("[bot]")
        .doesNotContain("s3cret");
  }

  @Test
  void readsPkcs8KeysAndInlinePem() throws Exception {
    writeServerPki();
    assertThat(
            security("tls_server_config: {cert_file: server.crt, key_file: server-pkcs8.key}\n")
                .https())
        .isNotNull();
    String cert = Files.readString(dir.resolve("server.crt")).indent(4);
    String key = Files.readString(dir.resolve("server.key")).indent(4);
    assertThat(security("tls_server_config:\n  cert: |\n" + cert + "  key: |\n" + key).https())
        .isNotNull();
  }

  @Test
  void anEmptyFileMeansNoTlsAndNoAuthentication() throws Exception {
    ApiSecurity security = security("");
    assertThat(security.https()).isNull();
    assertThat(security.authenticator()).isNull();
  }

  @Test
  void tokensComeFromTheEnvironment() throws Exception {
    WebConfig config =
        load("bearer_tokens: {prometheus: '${PROM_TOKEN}'}\n", Map.of("PROM_TOKEN", "t0ken"));
    assertThat(config.tokens(dir)).containsEntry("prometheus", "t0ken");
    assertThat(config.toString()).doesNotContain("t0ken");
  }

  @Test
  void unknownKeysAreErrorsNamingKeyAndFile() {
    assertThatThrownBy(() -> load("tls_server_config: {cert_file: a, key_file: b, certfile: c}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("web_config_file")
        .hasMessageContaining("web.yml")
        .hasMessageContaining("tls_server_config.certfile: unknown key");
    assertThatThrownBy(() -> load("basic_auth_user: {alice: x}\n"))
        .hasMessageContaining("basic_auth_user: unknown key");
  }

  @Test
  void exporterToolkitKeysVigilDoesNotImplementAreRefusedNotIgnored() {
    assertThatThrownBy(() -> load("rate_limit: {interval: 1s, burst: 20}\n"))
        .hasMessageContaining("rate_limit: part of exporter-toolkit's web configuration");
    assertThatThrownBy(
            () ->
                load(
                    "tls_server_config: {cert_file: a, key_file: b, client_ca_file: c,"
                        + " client_auth_type: RequireAndVerifyClientCert,"
                        + " client_allowed_sans: [x]}\n"))
        .hasMessageContaining("tls_server_config.client_allowed_sans");
    assertThatThrownBy(
            () ->
                load(
                    "tls_server_config: {cert_file: a, key_file: b, client_ca_file: c,"
                        + " client_auth_type: RequireAnyClientCert}\n"))
        .hasMessageContaining("tls_server_config.client_auth_type")
        .hasMessageContaining("RequireAnyClientCert");
  }

  @Test
  void aPasswordThatIsNotABcryptHashIsRefusedWithoutShowingIt() {
    assertThatThrownBy(() -> load("basic_auth_users: {alice: hunter2}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("basic_auth_users.alice: not a bcrypt hash")
        .message()
        .doesNotContain("hunter2");
    assertThatThrownBy(() -> load("basic_auth_users: {alice: '$2y$10$tooShort'}\n"))
        .hasMessageContaining("basic_auth_users.alice: not a bcrypt hash");
  }

  @Test
  void tlsSettingsAreChecked() {
    assertThatThrownBy(() -> load("tls_server_config: {key_file: b}\n"))
        .hasMessageContaining("tls_server_config.cert_file: a certificate is required");
    assertThatThrownBy(
            () ->
                load(
                    "tls_server_config: {cert_file: a, key_file: b,"
                        + " client_auth_type: RequireAndVerifyClientCert}\n"))
        .hasMessageContaining("tls_server_config.client_ca_file: required with client_auth_type");
    assertThatThrownBy(
            () -> load("tls_server_config: {cert_file: a, key_file: b, min_version: TLS9}\n"))
        .hasMessageContaining("tls_server_config.min_version")
        .hasMessageContaining("'TLS9'");
    assertThatThrownBy(
            () ->
                load(
                    "tls_server_config: {cert_file: a, key_file: b, min_version: TLS13,"
                        + " max_version: TLS12}\n"))
        .hasMessageContaining("tls_server_config.max_version: must not be below TLS13");
  }

  @Test
  void missingOrWrongFilesNameTheKeyAndPath() throws Exception {
    writeServerPki();
    assertThatThrownBy(
            () -> security("tls_server_config: {cert_file: nope.crt, key_file: server.key}\n"))
        .hasMessageContaining("tls_server_config.cert_file: cannot read")
        .hasMessageContaining("nope.crt");
    assertThatThrownBy(
            () -> security("tls_server_config: {cert_file: server.crt, key_file: ca.crt}\n"))
        .hasMessageContaining("tls_server_config.key_file: holds no PEM private key");
    assertThatThrownBy(
            () -> security("tls_server_config: {cert_file: server.crt, key_file: other.key}\n"))
        .hasMessageContaining(
            "tls_server_config.key_file: does not belong to the certificate CN=server");
    assertThatThrownBy(() -> security("bearer_tokens_file: missing-tokens\n"))
        .hasMessageContaining("bearer_tokens_file: cannot read")
        .hasMessageContaining("missing-tokens");
  }

  @Test
  void aBadTokenFileLineIsNamedWithoutItsToken() throws Exception {
    Files.writeString(dir.resolve("tokens"), "bot s3cret extra\n");
    assertThatThrownBy(() -> security("bearer_tokens_file: tokens\n"))
        .hasMessageContaining("line 1: expected '<name> <token>'")
        .message()
        .doesNotContain("s3cret");
  }
}
