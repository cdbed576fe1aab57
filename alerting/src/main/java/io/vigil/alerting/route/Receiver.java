package io.vigil.alerting.route;

import io.vigil.alerting.notify.email.EmailConfig;
import io.vigil.alerting.notify.slack.SlackConfig;
import java.util.List;

/**
 * A named receiver: where notifications for the routes naming it go.
 *
 * @param name unique name
 * @param slackConfigs Slack webhooks to post to
 * @param emailConfigs mail to send
 * @param unsupported integrations configured but not implemented yet (e.g. {@code
 *     pagerduty_configs}); they receive nothing
 */
public record Receiver(
    String name,
    List<SlackConfig> slackConfigs,
    List<EmailConfig> emailConfigs,
    List<String> unsupported) {

  /** Freezes the lists. */
  public Receiver {
    slackConfigs = List.copyOf(slackConfigs);
    emailConfigs = List.copyOf(emailConfigs);
    unsupported = List.copyOf(unsupported);
  }
}
