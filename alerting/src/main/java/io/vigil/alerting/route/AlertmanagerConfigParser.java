package io.vigil.alerting.route;

import io.vigil.alerting.Secret;
import io.vigil.alerting.notify.email.EmailConfig;
import io.vigil.alerting.notify.email.EmailTls;
import io.vigil.alerting.notify.slack.SlackConfig;
import io.vigil.alerting.yaml.YamlNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Validates an Alertmanager configuration the way Alertmanager's own loader does. */
final class AlertmanagerConfigParser {
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private static final Set<String> TOP =
      Set.of(
          "global", "route", "receivers", "inhibit_rules", "time_intervals", "mute_time_intervals");
  private static final Set<String> TOP_IGNORED = Set.of("templates", "tracing");

  private static final Set<String> GLOBAL =
      Set.of(
          "resolve_timeout",
          "slack_api_url",
          "slack_api_url_file",
          "smtp_smarthost",
          "smtp_from",
          "smtp_hello",
          "smtp_auth_username",
          "smtp_auth_password",
          "smtp_auth_password_file",
          "smtp_require_tls");
  private static final Set<String> GLOBAL_IGNORED =
      Set.of(
          "http_config",
          "smtp_auth_secret",
          "smtp_auth_secret_file",
          "smtp_auth_identity",
          "smtp_tls_config",
          "smtp_force_implicit_tls",
          "slack_app_token",
          "slack_app_token_file",
          "slack_app_url",
          "pagerduty_url",
          "opsgenie_api_url",
          "opsgenie_api_key",
          "opsgenie_api_key_file",
          "wechat_api_url",
          "wechat_api_secret",
          "wechat_api_corp_id",
          "victorops_api_url",
          "victorops_api_key",
          "victorops_api_key_file",
          "telegram_api_url",
          "webex_api_url",
          "jira_api_url",
          "rocketchat_api_url",
          "rocketchat_token",
          "rocketchat_token_file",
          "rocketchat_token_id",
          "rocketchat_token_id_file");

  private static final Set<String> ROUTE =
      Set.of(
          "receiver",
          "group_by",
          "group_wait",
          "group_interval",
          "repeat_interval",
          "matchers",
          "match",
          "match_re",
          "routes",
          "continue",
          "mute_time_intervals",
          "active_time_intervals");
  private static final Set<String> ROUTE_IGNORED = Set.of();

  private static final Set<String> RECEIVER = Set.of("name", "slack_configs", "email_configs");
  private static final Set<String> RECEIVER_IGNORED =
      Set.of(
          "discord_configs",
          "incidentio_configs",
          "pagerduty_configs",
          "webhook_configs",
          "opsgenie_configs",
          "wechat_configs",
          "pushover_configs",
          "victorops_configs",
          "sns_configs",
          "telegram_configs",
          "webex_configs",
          "msteams_configs",
          "msteamsv2_configs",
          "jira_configs",
          "rocketchat_configs",
          "mattermost_configs");

  private static final Set<String> SLACK =
      Set.of("send_resolved", "api_url", "api_url_file", "channel", "username", "title", "text");
  private static final Set<String> SLACK_IGNORED =
      Set.of(
          "http_config",
          "color",
          "title_link",
          "pretext",
          "fields",
          "short_fields",
          "footer",
          "fallback",
          "callback_id",
          "icon_emoji",
          "icon_url",
          "image_url",
          "thumb_url",
          "link_names",
          "mrkdwn_in",
          "actions",
          "app_token",
          "app_token_file",
          "app_url",
          "timeout",
          "edit_messages",
          "message_text");

  private static final Set<String> EMAIL =
      Set.of(
          "send_resolved",
          "to",
          "from",
          "hello",
          "smarthost",
          "auth_username",
          "auth_password",
          "auth_password_file",
          "require_tls",
          "headers",
          "tls_config",
          "force_implicit_tls");
  private static final Set<String> EMAIL_IGNORED =
      Set.of("auth_secret", "auth_secret_file", "auth_identity", "html", "text", "threading");
  private static final Set<String> EMAIL_TLS = Set.of("ca_file", "ca", "insecure_skip_verify");
  private static final Set<String> EMAIL_TLS_IGNORED =
      Set.of("cert", "cert_file", "key", "key_file", "server_name", "min_version", "max_version");

  private static final Set<String> INHIBIT =
      Set.of(
          "name",
          "source_match",
          "source_match_re",
          "source_matchers",
          "target_match",
          "target_match_re",
          "target_matchers",
          "equal");

  private static final Duration DEFAULT_GROUP_WAIT = Duration.ofSeconds(30);
  private static final Duration DEFAULT_GROUP_INTERVAL = Duration.ofMinutes(5);
  private static final Duration DEFAULT_REPEAT_INTERVAL = Duration.ofHours(4);

  private final Path baseDir;
  private final List<String> ignored = new ArrayList<>();

  /** Named time intervals ({@code time_intervals} and the older {@code mute_time_intervals}). */
  private final Map<String, List<TimeInterval>> timeIntervals = new LinkedHashMap<>();

  private AlertmanagerConfigParser(Path baseDir) {
    this.baseDir = baseDir;
  }

  static AlertmanagerConfig parse(String yaml, String fileName) {
    Path parent = Path.of(fileName).toAbsolutePath().getParent();
    return new AlertmanagerConfigParser(parent == null ? Path.of("") : parent)
        .root(YamlNode.parse(yaml, fileName));
  }

  private AlertmanagerConfig root(YamlNode root) {
    if (root.isAbsent()) {
      throw root.hidden("empty configuration, expected 'route:' and 'receivers:'");
    }
    ignored.addAll(root.checkKeys(TOP, TOP_IGNORED));
    List<InhibitRule> inhibitRules = new ArrayList<>();
    for (YamlNode rule : root.get("inhibit_rules").elements()) {
      inhibitRules.add(inhibitRule(rule));
    }
    GlobalConfig global = global(root.get("global"));
    Map<String, Receiver> receivers = new LinkedHashMap<>();
    for (YamlNode node : root.get("receivers").elements()) {
      Receiver receiver = receiver(node, global);
      if (receivers.put(receiver.name(), receiver) != null) {
        throw node.get("name").error("receiver name is not unique");
      }
    }
    for (String section : List.of("time_intervals", "mute_time_intervals")) {
      for (YamlNode named : root.get(section).elements()) {
        named.checkKeys(Set.of("name", "time_intervals"), Set.of());
        String name = named.get("name").requiredText();
        if (name.isEmpty()) {
          throw named.get("name").error("missing name in time interval");
        }
        List<TimeInterval> entries = new ArrayList<>();
        for (YamlNode entry : named.get("time_intervals").elements()) {
          entries.add(TimeInterval.parse(entry));
        }
        if (timeIntervals.put(name, entries) != null) {
          throw named.get("name").error("time interval name is not unique");
        }
      }
    }
    YamlNode routeNode = root.get("route");
    if (routeNode.isAbsent()) {
      throw routeNode.hidden("no route provided");
    }
    for (String key : List.of("mute_time_intervals", "active_time_intervals")) {
      if (!routeNode.get(key).elements().isEmpty()) {
        throw routeNode.get(key).hidden("root route must not have any " + key);
      }
    }
    if (routeNode.get("receiver").isAbsent()) {
      throw routeNode.get("receiver").hidden("root route must specify a default receiver");
    }
    for (String key : List.of("matchers", "match", "match_re")) {
      if (!routeNode.get(key).isAbsent()) {
        throw routeNode.get(key).hidden("root route must not have any matchers");
      }
    }
    if (routeNode.get("continue").bool(false)) {
      throw routeNode.get("continue").error("cannot have continue in root route");
    }
    Route defaults =
        new Route(
            null,
            List.of(),
            List.of(),
            false,
            DEFAULT_GROUP_WAIT,
            DEFAULT_GROUP_INTERVAL,
            DEFAULT_REPEAT_INTERVAL,
            false,
            List.of(),
            TimeMuting.NONE);
    Route route = route(routeNode, defaults, receivers.keySet());
    return new AlertmanagerConfig(global, route, receivers, inhibitRules, ignored);
  }

  private GlobalConfig global(YamlNode node) {
    ignored.addAll(node.checkKeys(GLOBAL, GLOBAL_IGNORED));
    atMostOne(node, "slack_api_url", "slack_api_url_file");
    atMostOne(node, "smtp_auth_password", "smtp_auth_password_file");
    atMostOne(node, "smtp_auth_secret", "smtp_auth_secret_file");
    atMostOne(node, "opsgenie_api_key", "opsgenie_api_key_file");
    atMostOne(node, "victorops_api_key", "victorops_api_key_file");
    atMostOne(node, "rocketchat_token", "rocketchat_token_file");
    atMostOne(node, "rocketchat_token_id", "rocketchat_token_id_file");
    Secret slackUrl = url(node.get("slack_api_url"), node.get("slack_api_url_file"));
    String smarthost = node.get("smtp_smarthost").text();
    if (smarthost != null && !smarthost.isEmpty()) {
      hostPort(node.get("smtp_smarthost"));
    }
    Secret password = secret(node.get("smtp_auth_password"), node.get("smtp_auth_password_file"));
    return new GlobalConfig(
        node.get("resolve_timeout").duration(null),
        slackUrl,
        blankToNull(smarthost),
        blankToNull(node.get("smtp_from").text()),
        node.get("smtp_hello").text(),
        blankToNull(node.get("smtp_auth_username").text()),
        password,
        node.get("smtp_require_tls").bool(true));
  }

  private Receiver receiver(YamlNode node, GlobalConfig global) {
    List<String> unsupported = node.checkKeys(RECEIVER, RECEIVER_IGNORED);
    ignored.addAll(unsupported);
    String name = node.get("name").text();
    if (name == null || name.isEmpty()) {
      throw node.get("name").hidden("missing name in receiver");
    }
    List<SlackConfig> slack = new ArrayList<>();
    for (YamlNode sc : node.get("slack_configs").elements()) {
      slack.add(slack(sc, global));
    }
    List<EmailConfig> email = new ArrayList<>();
    for (YamlNode ec : node.get("email_configs").elements()) {
      email.add(email(ec, global));
    }
    List<String> kinds = new ArrayList<>();
    for (String path : unsupported) {
      kinds.add(path.substring(path.lastIndexOf('.') + 1));
    }
    return new Receiver(name, slack, email, kinds);
  }

  private SlackConfig slack(YamlNode node, GlobalConfig global) {
    ignored.addAll(node.checkKeys(SLACK, SLACK_IGNORED));
    atMostOne(node, "api_url", "api_url_file");
    Secret url = url(node.get("api_url"), node.get("api_url_file"));
    if (url == null) {
      url = global.slackApiUrl();
    }
    if (url == null) {
      throw node.get("api_url")
          .hidden("no global Slack API URL set either inline or in a file (slack_api_url)");
    }
    return new SlackConfig(
        node.get("send_resolved").bool(false),
        url,
        blankToNull(node.get("channel").text()),
        blankToNull(node.get("username").text()),
        blankToNull(node.get("title").text()),
        blankToNull(node.get("text").text()));
  }

  private EmailConfig email(YamlNode node, GlobalConfig global) {
    ignored.addAll(node.checkKeys(EMAIL, EMAIL_IGNORED));
    atMostOne(node, "auth_password", "auth_password_file");
    String to = node.get("to").text();
    if (to == null || to.isBlank()) {
      throw node.get("to").hidden("missing to address in email config");
    }
    List<String> recipients = new ArrayList<>();
    for (String address : to.split(",")) {
      if (!address.isBlank()) {
        recipients.add(address.trim());
      }
    }
    YamlNode smarthostNode = node.get("smarthost");
    String smarthost = blankToNull(smarthostNode.text());
    String host;
    int port;
    if (smarthost != null) {
      String[] hp = hostPort(smarthostNode);
      host = hp[0];
      port = Integer.parseInt(hp[1]);
    } else if (global.smtpSmarthost() != null) {
      String[] hp = global.smtpSmarthost().split(":(?=[^:]*$)");
      host = hp[0];
      port = Integer.parseInt(hp[1]);
    } else {
      throw smarthostNode.hidden("no global SMTP smarthost set (smtp_smarthost)");
    }
    String from = blankToNull(node.get("from").text());
    if (from == null) {
      from = global.smtpFrom();
    }
    if (from == null) {
      throw node.get("from").hidden("no global SMTP from set (smtp_from)");
    }
    String hello = blankToNull(node.get("hello").text());
    String username = blankToNull(node.get("auth_username").text());
    Secret password = secret(node.get("auth_password"), node.get("auth_password_file"));
    YamlNode headersNode = node.get("headers");
    Map<String, String> headers = new TreeMap<>();
    for (Map.Entry<String, String> h : headersNode.stringMap().entrySet()) {
      String canonical = canonicalHeader(h.getKey());
      if (headers.put(canonical, h.getValue()) != null) {
        throw headersNode.get(h.getKey()).hidden("duplicate header '" + canonical + "'");
      }
    }
    return new EmailConfig(
        node.get("send_resolved").bool(false),
        recipients,
        from,
        hello != null ? hello : global.smtpHello(),
        host,
        port,
        username != null ? username : global.smtpAuthUsername(),
        password != null ? password : global.smtpAuthPassword(),
        node.get("require_tls").bool(global.smtpRequireTls()),
        headers,
        emailTls(node));
  }

  /**
   * {@code force_implicit_tls} and {@code tls_config} ({@code ca_file}/{@code ca}, {@code
   * insecure_skip_verify}; the client-certificate, name and version keys are ignored).
   */
  private EmailTls emailTls(YamlNode node) {
    YamlNode forced = node.get("force_implicit_tls");
    YamlNode tls = node.get("tls_config");
    ignored.addAll(tls.checkKeys(EMAIL_TLS, EMAIL_TLS_IGNORED));
    atMostOne(tls, "ca", "ca_file");
    YamlNode caFile = tls.get("ca_file");
    String caPem = blankToNull(tls.get("ca").text());
    if (caPem == null && blankToNull(caFile.text()) != null) {
      try {
        caPem = Files.readString(baseDir.resolve(caFile.text()));
      } catch (IOException e) {
        throw caFile.error("cannot read file: " + e.getClass().getSimpleName());
      }
    }
    try {
      return new EmailTls(
          forced.isAbsent() ? null : forced.bool(false),
          caPem,
          tls.get("insecure_skip_verify").bool(false));
    } catch (IllegalArgumentException e) {
      throw caFile.isAbsent() ? tls.get("ca").hidden(e.getMessage()) : caFile.error(e.getMessage());
    }
  }

  private Route route(YamlNode node, Route parent, Set<String> receivers) {
    ignored.addAll(node.checkKeys(ROUTE, ROUTE_IGNORED));
    YamlNode receiverNode = node.get("receiver");
    String receiver = receiverNode.isAbsent() ? parent.receiver() : receiverNode.requiredText();
    if (!receivers.contains(receiver)) {
      throw receiverNode.error("undefined receiver used in route");
    }
    List<Matcher> matchers = new ArrayList<>();
    YamlNode match = node.get("match");
    for (Map.Entry<String, YamlNode> e : match.fields().entrySet()) {
      checkLabelName(e.getValue(), e.getKey());
      matchers.add(Matcher.equal(e.getKey(), e.getValue().isAbsent() ? "" : e.getValue().text()));
    }
    matchers.addAll(matchRe(node.get("match_re")));
    matchers.addAll(matcherList(node.get("matchers")));

    YamlNode groupByNode = node.get("group_by");
    List<String> groupBy = parent.groupBy();
    boolean groupByAll = parent.groupByAll();
    if (!groupByNode.isAbsent()) {
      groupBy = new ArrayList<>();
      groupByAll = false;
      Set<String> seen = new HashSet<>();
      for (YamlNode label : groupByNode.elements()) {
        String name = label.requiredText();
        if (name.equals("...")) {
          groupByAll = true;
          continue;
        }
        checkLabelName(label, name);
        if (!seen.add(name)) {
          throw label.error("duplicated label in group_by");
        }
        groupBy.add(name);
      }
      if (groupByAll && !groupBy.isEmpty()) {
        throw groupByNode.hidden(
            "cannot have wildcard group_by (`...`) and other labels at the same time");
      }
    }
    Duration groupInterval = node.get("group_interval").duration(parent.groupInterval());
    if (groupInterval.isZero()) {
      throw node.get("group_interval").error("group_interval cannot be zero");
    }
    Duration repeatInterval = node.get("repeat_interval").duration(parent.repeatInterval());
    if (repeatInterval.isZero()) {
      throw node.get("repeat_interval").error("repeat_interval cannot be zero");
    }
    Route self =
        new Route(
            receiver,
            matchers,
            groupBy,
            groupByAll,
            node.get("group_wait").duration(parent.groupWait()),
            groupInterval,
            repeatInterval,
            node.get("continue").bool(false),
            List.of(),
            timeMuting(node));
    List<Route> children = new ArrayList<>();
    for (YamlNode child : node.get("routes").elements()) {
      children.add(route(child, self, receivers));
    }
    return new Route(
        self.receiver(),
        self.matchers(),
        self.groupBy(),
        self.groupByAll(),
        self.groupWait(),
        self.groupInterval(),
        self.repeatInterval(),
        self.continueMatching(),
        children,
        self.timeMuting());
  }

  /** The route's own time intervals, resolved by name; a name not defined is an error. */
  private TimeMuting timeMuting(YamlNode node) {
    List<TimeInterval> mute = new ArrayList<>();
    List<TimeInterval> active = new ArrayList<>();
    YamlNode activeNode = node.get("active_time_intervals");
    for (String key : List.of("mute_time_intervals", "active_time_intervals")) {
      for (YamlNode name : node.get(key).elements()) {
        List<TimeInterval> entries = timeIntervals.get(name.requiredText());
        if (entries == null) {
          throw name.error("undefined time interval used in route");
        }
        (key.startsWith("mute") ? mute : active).addAll(entries);
      }
    }
    boolean activeGiven = !activeNode.elements().isEmpty();
    return mute.isEmpty() && !activeGiven
        ? TimeMuting.NONE
        : new TimeMuting(mute, active, activeGiven);
  }

  private static InhibitRule inhibitRule(YamlNode rule) {
    rule.checkKeys(INHIBIT, Set.of());
    List<List<Matcher>> sides = new ArrayList<>();
    for (String side : List.of("source", "target")) {
      List<Matcher> matchers = new ArrayList<>();
      for (Map.Entry<String, YamlNode> e : rule.get(side + "_match").fields().entrySet()) {
        checkLabelName(e.getValue(), e.getKey());
        matchers.add(Matcher.equal(e.getKey(), e.getValue().text()));
      }
      matchers.addAll(matchRe(rule.get(side + "_match_re")));
      matchers.addAll(matcherList(rule.get(side + "_matchers")));
      sides.add(matchers);
    }
    List<String> equal = new ArrayList<>();
    for (YamlNode label : rule.get("equal").elements()) {
      checkLabelName(label, label.requiredText());
      equal.add(label.requiredText());
    }
    return new InhibitRule(sides.get(0), sides.get(1), equal);
  }

  private static List<Matcher> matchRe(YamlNode node) {
    List<Matcher> out = new ArrayList<>();
    for (Map.Entry<String, YamlNode> e : node.fields().entrySet()) {
      checkLabelName(e.getValue(), e.getKey());
      if (e.getValue().isAbsent()) {
        throw e.getValue().hidden("invalid regexp value for '" + e.getKey() + "' (empty)");
      }
      try {
        out.add(Matcher.regex(e.getKey(), e.getValue().text()));
      } catch (IllegalArgumentException ex) {
        throw e.getValue().error(ex.getMessage());
      }
    }
    return out;
  }

  private static List<Matcher> matcherList(YamlNode node) {
    List<Matcher> out = new ArrayList<>();
    for (YamlNode line : node.elements()) {
      try {
        out.addAll(Matcher.parseAll(line.requiredText()));
      } catch (IllegalArgumentException e) {
        throw line.error(e.getMessage());
      }
    }
    return out;
  }

  private static void checkLabelName(YamlNode node, String name) {
    if (!LABEL_NAME.matcher(name).matches()) {
      throw node.hidden("invalid label name '" + name + "'");
    }
  }

  private static void atMostOne(YamlNode node, String a, String b) {
    if (!node.get(a).isAbsent() && !node.get(b).isAbsent()) {
      throw node.get(b).hidden("at most one of " + a + " & " + b + " must be configured");
    }
  }

  private Secret url(YamlNode inline, YamlNode file) {
    Secret url = secret(inline, file);
    if (url == null) {
      return null;
    }
    YamlNode where = inline.isAbsent() ? file : inline;
    try {
      URI uri = new URI(url.reveal().trim());
      if (uri.getScheme() == null
          || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
          || uri.getHost() == null) {
        throw where.hidden("must be an absolute http(s) URL");
      }
    } catch (URISyntaxException e) {
      throw where.hidden("not a valid URL");
    }
    return Secret.of(url.reveal().trim());
  }

  private Secret secret(YamlNode inline, YamlNode file) {
    if (!inline.isAbsent()) {
      return Secret.of(inline.text());
    }
    String path = file.text();
    if (path == null || path.isEmpty()) {
      return null;
    }
    try {
      return Secret.of(Files.readString(baseDir.resolve(path)).strip());
    } catch (IOException e) {
      throw file.error("cannot read file: " + e.getClass().getSimpleName());
    }
  }

  private static String[] hostPort(YamlNode node) {
    String text = node.requiredText();
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw node.error("address must be host:port");
    }
    String port = text.substring(colon + 1);
    try {
      int p = Integer.parseInt(port);
      if (p < 1 || p > 65535) {
        throw node.error("port must be in 1..65535");
      }
    } catch (NumberFormatException e) {
      throw node.error("port must be a number");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new String[] {host, port};
  }

  private static String canonicalHeader(String name) {
    StringBuilder out = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toCharArray()) {
      out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return out.toString();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
