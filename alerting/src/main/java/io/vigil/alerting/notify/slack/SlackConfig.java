package io.vigil.alerting.notify.slack;

import io.vigil.alerting.Secret;
import java.util.Objects;

/**
 * One {@code slack_configs} entry of an Alertmanager receiver, with the globals already applied.
 *
 * @param sendResolved also notify when an alert resolves; Alertmanager's default is false
 * @param apiUrl the incoming-webhook URL (a secret: it authorizes posting)
 * @param channel channel override such as {@code #alerts}, or null for the webhook's default
 * @param username sender name override, or null
 * @param title attachment title template, or null for {@code [FIRING:1] <alertname>}
 * @param text attachment text template, or null for the default (annotations)
 */
public record SlackConfig(
    boolean sendResolved,
    Secret apiUrl,
    String channel,
    String username,
    String title,
    String text) {

  /** Requires the webhook URL. */
  public SlackConfig {
    Objects.requireNonNull(apiUrl, "apiUrl");
  }
}
