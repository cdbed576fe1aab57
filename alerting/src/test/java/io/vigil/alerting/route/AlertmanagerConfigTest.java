package io.vigil.alerting.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.alerting.notify.email.EmailConfig;
import io.vigil.alerting.notify.slack.SlackConfig;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class AlertmanagerConfigTest {
  static Stream<Path> validFixtures() throws Exception {
    return fixtures("valid");
  }

  static Stream<Path> invalidFixtures() throws Exception {
    return fixtures("invalid");
  }

  private static Stream<Path> fixtures(String dir) throws IOException, URISyntaxException {
    Path folder =
        Path.of(AlertmanagerConfigTest.class.getResource("/fixtures/alertmanager/" + dir).toURI());
    try (Stream<Path> files = Files.list(folder)) {
      return files.sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("validFixtures")
  void loadsAlertmanagersOwnValidExamples(Path file) {
    AlertmanagerConfig config = AlertmanagerConfig.load(file);

    assertThat(config.route().receiver()).isNotBlank();
    assertThat(config.receivers()).containsKey(config.route().receiver());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "conf.nil-match_re-route.yml|route.routes[0].match_re.invalid_label: invalid regexp value",
        "conf.nil-source_match_re-inhibition.yml|inhibit_rules[0].source_match_re.invalid_source_label: invalid regexp value",
        "conf.slack-both-file-and-url.yml|global.slack_api_url_file: at most one of slack_api_url & slack_api_url_file must be configured",
        "conf.slack-no-api-url-or-token.yml|receivers[0].slack_configs[0].api_url: no global Slack API URL set",
        "conf.smtp-both-password-and-file.yml|global.smtp_auth_password_file: at most one of smtp_auth_password & smtp_auth_password_file must be configured",
      })
  void rejectsAlertmanagersOwnInvalidExamplesNamingTheKey(String name, String expected)
      throws Exception {
    Path file =
        invalidFixtures()
            .filter(p -> p.getFileName().toString().equals(name))
            .findFirst()
            .orElseThrow();

    assertThatThrownBy(() -> AlertmanagerConfig.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ": " + expected);
  }

  @Test
  void everyInvalidFixtureIsCovered() throws Exception {
    assertThat(invalidFixtures().map(p -> p.getFileName().toString()))
        .containsExactlyInAnyOrder(
            "conf.nil-match_re-route.yml",
            "conf.nil-source_match_re-inhibition.yml",
            "conf.slack-both-file-and-url.yml",
            "conf.slack-no-api-url-or-token.yml",
            "conf.smtp-both-password-and-file.yml");
  }

  @Test
  void appliesGlobalsAndDefaultsToReceivers() {
    AlertmanagerConfig config =
        AlertmanagerConfig.parse(
            """
            global:
              slack_api_url: https://hooks.slack.com/services/T0/B0/SECRET
              smtp_smarthost: mail.example.org:587
              smtp_from: vigil@example.org
              smtp_auth_username: vigil
              smtp_auth_password: hunter2
              resolve_timeout: 2m
            route:
              receiver: team
            receivers:
              - name: team
                slack_configs:
                  - channel: '#alerts'
                  - api_url: https://hooks.example.org/other
                    send_resolved: true
                    title: '{{ $labels.alertname }}'
                email_configs:
                  - to: 'a@example.org, b@example.org'
                    require_tls: false
                    headers: {subject: 'custom', x-team: payments}
            """,
            "alertmanager.yml");

    Receiver team = config.receivers().get("team");
    SlackConfig first = team.slackConfigs().get(0);
    assertThat(first.apiUrl().reveal()).isEqualTo("https://hooks.slack.com/services/T0/B0/SECRET");
    assertThat(first.channel()).isEqualTo("#alerts");
    assertThat(first.sendResolved()).isFalse();
    assertThat(team.slackConfigs().get(1).sendResolved()).isTrue();
    EmailConfig email = team.emailConfigs().get(0);
    assertThat(email.to()).containsExactly("a@example.org", "b@example.org");
    assertThat(email.host()).isEqualTo("mail.example.org");
    assertThat(email.port()).isEqualTo(587);
    assertThat(email.from()).isEqualTo("vigil@example.org");
    assertThat(email.authUsername()).isEqualTo("vigil");
    assertThat(email.authPassword().reveal()).isEqualTo("hunter2");
    assertThat(email.requireTls()).isFalse();
    assertThat(email.headers())
        .containsEntry("Subject", "custom")
        .containsEntry("X-Team", "payments");
    assertThat(config.global().resolveTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.global().smtpRequireTls()).as("Alertmanager's default").isTrue();
    assertThat(config.route().groupWait()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void secretsNeverAppearInToString() {
    AlertmanagerConfig config =
        AlertmanagerConfig.parse(
            """
            global:
              slack_api_url: https://hooks.slack.com/services/T0/B0/SECRET
              smtp_smarthost: localhost:25
              smtp_from: a@example.org
              smtp_auth_password: hunter2
            route: {receiver: r}
            receivers:
              - name: r
                slack_configs: [{channel: '#a'}]
                email_configs: [{to: b@example.org}]
            """,
            "alertmanager.yml");

    assertThat(config.toString()).doesNotContain("SECRET", "hunter2").contains("<secret>");
  }

  @Test
  void listsKnownButUnsupportedKeys() {
    AlertmanagerConfig config =
        AlertmanagerConfig.parse(
            """
            route: {receiver: r}
            receivers:
              - name: r
                webhook_configs: [{url: 'http://127.0.0.1:5001/'}]
            templates: ['/etc/alertmanager/*.tmpl']
            inhibit_rules:
              - source_matchers: [severity="critical"]
                target_matchers: [severity="warning"]
                equal: [alertname]
            """,
            "alertmanager.yml");

    assertThat(config.ignoredKeys())
        .containsExactlyInAnyOrder("templates", "receivers[0].webhook_configs");
    assertThat(config.inhibitRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.equal()).containsExactly("alertname");
              assertThat(rule.isSource(java.util.Map.of("severity", "critical"))).isTrue();
              assertThat(rule.isTarget(java.util.Map.of("severity", "warning"))).isTrue();
            });
    assertThat(config.receivers().get("r").unsupported()).containsExactly("webhook_configs");
  }

  @Test
  void rejectsKeysAlertmanagerDoesNotHave() {
    assertThatThrownBy(
            () ->
                AlertmanagerConfig.parse(
                    "route: {receiver: r}\nreceivers: [{name: r, slack_config: []}]\n", "am.yml"))
        .hasMessageStartingWith("am.yml: receivers[0].slack_config: unknown key");
    assertThatThrownBy(
            () ->
                AlertmanagerConfig.parse(
                    "route: {receiver: r, reciever: x}\nreceivers: [{name: r}]\n", "am.yml"))
        .hasMessageStartingWith("am.yml: route.reciever: unknown key");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "route: {receiver: nope}\\nreceivers: [{name: r}]|route.receiver: undefined receiver used in route, was 'nope'",
        "receivers: [{name: r}]|route: no route provided",
        "route: {receiver: r, matchers: [a=b]}\\nreceivers: [{name: r}]|route.matchers: root route must not have any matchers",
        "route: {receiver: r, group_by: ['...', a]}\\nreceivers: [{name: r}]|route.group_by: cannot have wildcard group_by",
        "route: {receiver: r}\\nreceivers: [{name: r}, {name: r}]|receivers[1].name: receiver name is not unique",
        "route: {receiver: r}\\nreceivers: [{name: r, email_configs: [{to: a@b.c}]}]|receivers[0].email_configs[0].smarthost: no global SMTP smarthost set",
        "route: {receiver: r, routes: [{matchers: ['a=~\"(\"']}]}\\nreceivers: [{name: r}]|route.routes[0].matchers[0]: invalid regular expression",
      })
  void validatesLikeAlertmanager(String yaml, String expected) {
    assertThatThrownBy(() -> AlertmanagerConfig.parse(yaml.replace("\\n", "\n"), "am.yml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("am.yml: " + expected);
  }

  @Test
  void readsSecretsFromFilesRelativeToTheConfig(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("slack-url"), "https://hooks.example.org/x\n");
    Path file = dir.resolve("alertmanager.yml");
    Files.writeString(
        file,
        "global: {slack_api_url_file: slack-url}\nroute: {receiver: r}\n"
            + "receivers: [{name: r, slack_configs: [{channel: '#a'}]}]\n");

    AlertmanagerConfig config = AlertmanagerConfig.load(file);

    assertThat(config.receivers().get("r").slackConfigs().get(0).apiUrl().reveal())
        .isEqualTo("https://hooks.example.org/x");
    assertThat(List.of(config.global().slackApiUrl().toString())).containsExactly("<secret>");
  }

  @Test
  void readsEmailTlsConfigAndIgnoresTheClientCertificateKeys(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    io.vigil.model.web.TestPki.writeCert(
        dir.resolve("smtp-ca.crt"), io.vigil.model.web.TestPki.ca("smtp ca").cert());
    Path file = dir.resolve("alertmanager.yml");
    Files.writeString(
        file,
        """
        route: {receiver: r}
        receivers:
          - name: r
            email_configs:
              - {to: a@example.org, from: v@example.org, smarthost: 'mail:2525',
                 force_implicit_tls: true,
                 tls_config: {ca_file: smtp-ca.crt, server_name: mail, cert_file: c.crt}}
        """);

    AlertmanagerConfig config = AlertmanagerConfig.load(file);

    EmailConfig email = config.receivers().get("r").emailConfigs().get(0);
    assertThat(email.tls().forceImplicitTls()).isTrue();
    assertThat(email.tls().caPem()).contains("BEGIN CERTIFICATE");
    assertThat(email.tls().insecureSkipVerify()).isFalse();
    assertThat(config.ignoredKeys())
        .contains(
            "receivers[0].email_configs[0].tls_config.server_name",
            "receivers[0].email_configs[0].tls_config.cert_file");

    Files.writeString(dir.resolve("smtp-ca.crt"), "not a certificate");
    assertThatThrownBy(() -> AlertmanagerConfig.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("receivers[0].email_configs[0].tls_config.ca_file")
        .hasMessageContaining("not a PEM certificate")
        .hasMessageContaining("smtp-ca.crt");
  }
}
