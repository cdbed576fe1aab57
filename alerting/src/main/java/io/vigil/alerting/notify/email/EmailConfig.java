package io.vigil.alerting.notify.email;

import io.vigil.alerting.Secret;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code email_configs} entry of an Alertmanager receiver, with the globals already applied.
 *
 * @param sendResolved also notify when an alert resolves; Alertmanager's default is false
 * @param to recipients (Alertmanager's comma-separated {@code to}, split)
 * @param from sender address
 * @param hello host name sent in EHLO/HELO
 * @param host SMTP server host
 * @param port SMTP server port; 465 means implicit TLS (SMTPS), as in Alertmanager
 * @param authUsername user for SMTP AUTH, or null for no authentication
 * @param authPassword its password, or null
 * @param requireTls require STARTTLS before sending; Alertmanager's default is true
 * @param headers extra or overriding headers (e.g. {@code Subject}), names canonicalised
 * @param tls implicit TLS and the server certificate's trust ({@code force_implicit_tls}, {@code
 *     tls_config.ca_file}, {@code tls_config.insecure_skip_verify}); default Alertmanager's
 */
public record EmailConfig(
    boolean sendResolved,
    List<String> to,
    String from,
    String hello,
    String host,
    int port,
    String authUsername,
    Secret authPassword,
    boolean requireTls,
    Map<String, String> headers,
    EmailTls tls) {

  /** Checks the required parts and freezes the collections. */
  public EmailConfig {
    to = List.copyOf(to);
    if (to.isEmpty()) {
      throw new IllegalArgumentException("to: at least one recipient required");
    }
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: must be in 1..65535, was " + port);
    }
    hello = hello == null || hello.isBlank() ? "localhost" : hello;
    if (authUsername != null && authUsername.isBlank()) {
      authUsername = null;
    }
    headers = headers == null ? Map.of() : Map.copyOf(headers);
    tls = tls == null ? EmailTls.defaults() : tls;
  }

  /** A configuration with Alertmanager's TLS defaults. */
  public EmailConfig(
      boolean sendResolved,
      List<String> to,
      String from,
      String hello,
      String host,
      int port,
      String authUsername,
      Secret authPassword,
      boolean requireTls,
      Map<String, String> headers) {
    this(
        sendResolved,
        to,
        from,
        hello,
        host,
        port,
        authUsername,
        authPassword,
        requireTls,
        headers,
        EmailTls.defaults());
  }
}
