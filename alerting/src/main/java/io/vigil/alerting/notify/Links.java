package io.vigil.alerting.notify;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.config.ConfigException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a notification links to, so the person paged lands on the right view: the Grafana dashboard
 * of the alert's service or pipeline and Kibana's Discover on its logs or runs, both around the
 * alert's time, its runbook ({@code runbook_url} annotation), and the alert itself.
 *
 * <pre>
 * links:
 *   grafana_url: https://grafana.example.org
 *   kibana_url: https://kibana.example.org
 * </pre>
 *
 * @param grafanaUrl base URL of the Grafana that has Vigil's dashboards ({@code dashboards/}), or
 *     null for no Grafana link
 * @param kibanaUrl base URL of the Kibana with Vigil's data views, or null for no Kibana link
 */
public record Links(
    @JsonProperty("grafana_url") String grafanaUrl, @JsonProperty("kibana_url") String kibanaUrl) {

  /** How far before the alert's start (and after its end) the linked views reach. */
  static final Duration AROUND = Duration.ofMinutes(15);

  /** One link: a label and where it goes. */
  public record Link(String label, String url) {}

  /** Checks both are absolute http(s) URLs when set; strips trailing slashes. */
  public Links {
    grafanaUrl = check("links.grafana_url", grafanaUrl);
    kibanaUrl = check("links.kibana_url", kibanaUrl);
  }

  /** No links but the alert's own and its runbook. */
  public static Links none() {
    return new Links(null, null);
  }

  /** The links for {@code alert}, in the order a person needs them. */
  public List<Link> forAlert(AlertTransition alert) {
    List<Link> out = new ArrayList<>();
    Map<String, String> labels = alert.labels();
    String runbook = alert.annotations().get("runbook_url");
    if (runbook != null && runbook.startsWith("http")) {
      out.add(new Link("Runbook", runbook));
    }
    Instant from = alert.startsAt() == null ? null : alert.startsAt().minus(AROUND);
    Instant to = alert.endsAt() == null ? null : alert.endsAt().plus(AROUND);
    boolean pipeline = labels.containsKey("job") && labels.containsKey("job_namespace");
    if (grafanaUrl != null) {
      StringBuilder url = new StringBuilder(grafanaUrl);
      if (pipeline) {
        url.append("/d/vigil-pipelines/vigil-data-pipelines?");
        param(url, "var-job_namespace", labels.get("job_namespace"));
        param(url, "var-job", labels.get("job"));
      } else {
        url.append("/d/vigil-golden-signals/vigil-golden-signals?");
        param(url, "var-cluster", labels.get("cluster"));
        param(url, "var-namespace", labels.get("namespace"));
        param(url, "var-service", labels.get("service"));
      }
      param(url, "from", from == null ? "now-1h" : Long.toString(from.toEpochMilli()));
      param(url, "to", to == null ? "now" : Long.toString(to.toEpochMilli()));
      out.add(new Link("Grafana", url.substring(0, url.length() - 1)));
    }
    if (kibanaUrl != null) {
      String query =
          pipeline
              ? "job.name:\"" + labels.get("job") + "\""
              : labels.containsKey("service")
                  ? "service.name:\"" + labels.get("service") + "\""
                  : "";
      String time =
          "(time:(from:'"
              + (from == null ? "now-1h" : from.toString())
              + "',to:'"
              + (to == null ? "now" : to.toString())
              + "'))";
      String app = "(query:(language:kuery,query:'" + query.replace("'", "!'") + "'))";
      out.add(
          new Link(
              "Kibana", kibanaUrl + "/app/discover#/?_g=" + encode(time) + "&_a=" + encode(app)));
    }
    if (alert.generatorUrl() != null && alert.generatorUrl().startsWith("http")) {
      out.add(new Link("Alert", alert.generatorUrl()));
    }
    return out;
  }

  private static void param(StringBuilder url, String name, String value) {
    if (value != null && !value.isEmpty()) {
      url.append(name).append('=').append(encode(value)).append('&');
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String check(String key, String url) {
    if (url == null || url.isBlank()) {
      return null;
    }
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    try {
      URI uri = URI.create(u);
      if (uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new ConfigException(key, url, "must be an absolute http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, url, "not a URL");
    }
    return u;
  }
}
