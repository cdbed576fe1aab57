package io.vigil.alerting.route;

import io.vigil.alerting.Secret;
import java.time.Duration;

/**
 * The supported part of Alertmanager's {@code global} section: defaults for receivers.
 *
 * @param resolveTimeout how long an alert without updates stays active; default 5m
 * @param slackApiUrl default Slack webhook URL, or null
 * @param smtpSmarthost default {@code host:port}, or null
 * @param smtpFrom default sender, or null
 * @param smtpHello EHLO name; default {@code localhost}
 * @param smtpAuthUsername default SMTP user, or null
 * @param smtpAuthPassword default SMTP password, or null
 * @param smtpRequireTls require STARTTLS; default true, as in Alertmanager
 */
public record GlobalConfig(
    Duration resolveTimeout,
    Secret slackApiUrl,
    String smtpSmarthost,
    String smtpFrom,
    String smtpHello,
    String smtpAuthUsername,
    Secret smtpAuthPassword,
    boolean smtpRequireTls) {

  /** Alertmanager's default {@code resolve_timeout}. */
  public static final Duration DEFAULT_RESOLVE_TIMEOUT = Duration.ofMinutes(5);

  /** Applies defaults. */
  public GlobalConfig {
    resolveTimeout = resolveTimeout == null ? DEFAULT_RESOLVE_TIMEOUT : resolveTimeout;
    smtpHello = smtpHello == null || smtpHello.isBlank() ? "localhost" : smtpHello;
  }
}
