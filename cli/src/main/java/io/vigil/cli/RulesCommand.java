package io.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.alerting.Secret;
import io.vigil.alerting.elasticsearch.ElasticsearchSettings;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.AlertRule;
import io.vigil.alerting.rules.Backtest;
import io.vigil.alerting.rules.ElasticsearchHistory;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.alerting.rules.RuleTests;
import io.vigil.alerting.rules.Template;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.Durations;
import io.vigil.model.kafka.KafkaSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vigil rules …}: work with rule files without running the engine. */
@Command(
    name = "rules",
    mixinStandardHelpOptions = true,
    description =
        "Validate alert rule files and Alertmanager-format routing files; run rule tests;"
            + " replay history through rules.",
    subcommands = {
      RulesCommand.Check.class,
      RulesCommand.Test.class,
      RulesCommand.BacktestCommand.class
    })
final class RulesCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /**
   * {@code vigil rules check F…}: loads each file the way the alert engine would and reports every
   * problem with its file and key. A file with {@code groups:} is a rule file; one with {@code
   * route:} or {@code receivers:} is an Alertmanager configuration.
   */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Check rule files (groups:) and Alertmanager-format routing files (route:, receivers:).",
        "Exits 0 when all are valid, 2 when any is not."
      })
  static final class Check implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to check.")
    List<Path> files;

    @Override
    public Integer call() {
      PrintStream out = System.out;
      PrintStream err = System.err;
      int failures = 0;
      for (Path file : files) {
        try {
          out.println(file + ": " + check(file));
        } catch (ConfigException | IllegalArgumentException e) {
          failures++;
          printInvalid(err, file, e);
        }
      }
      return failures == 0 ? Vigil.EXIT_OK : Vigil.EXIT_USAGE;
    }

    private static String check(Path file) {
      JsonNode root;
      try {
        root = new YAMLMapper().readTree(Files.readString(file));
      } catch (IOException e) {
        throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
      }
      if (root != null && root.has("groups")) {
        List<AlertRule> rules = RuleLoader.load(List.of(file));
        return "OK, " + rules.size() + (rules.size() == 1 ? " rule" : " rules");
      }
      if (root != null && (root.has("route") || root.has("receivers"))) {
        AlertmanagerConfig config = AlertmanagerConfig.parse(readQuietly(file), file.toString());
        String ignored =
            config.ignoredKeys().isEmpty()
                ? ""
                : "; not supported yet, ignored: " + String.join(", ", config.ignoredKeys());
        return "OK, Alertmanager configuration with "
            + config.receivers().size()
            + (config.receivers().size() == 1 ? " receiver" : " receivers")
            + ignored;
      }
      throw new ConfigException(
          file.toString(),
          "neither a rule file (no 'groups:') nor an Alertmanager configuration (no 'route:')");
    }

    private static String readQuietly(Path file) {
      try {
        return Files.readString(file);
      } catch (IOException e) {
        throw new ConfigException(file.toString(), "cannot read: " + e.getMessage());
      }
    }
  }

  /**
   * {@code vigil rules test F…}: runs rule unit tests (input series over time → expected alerts),
   * like {@code promtool test rules}. Exits 0 when every test passes, 1 when one fails, 2 when a
   * file is invalid.
   */
  @Command(
      name = "test",
      mixinStandardHelpOptions = true,
      description = {
        "Run rule unit tests: input series over time, expected alerts at given times.",
        "Exits 0 when all pass, 1 when any fails, 2 when a file is invalid."
      })
  static final class Test implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Test files.")
    List<Path> files;

    @Override
    public Integer call() {
      int failed = 0;
      boolean invalid = false;
      for (Path file : files) {
        try {
          RuleTests.Result result = RuleTests.run(file);
          if (result.failures().isEmpty()) {
            System.out.println(
                file + ": SUCCESS, " + result.tests() + (result.tests() == 1 ? " test" : " tests"));
          } else {
            failed += result.failures().size();
            for (RuleTests.Failure f : result.failures()) {
              System.err.println("FAILED: " + file + ": " + f.message());
            }
          }
        } catch (ConfigException | IllegalArgumentException e) {
          invalid = true;
          printInvalid(System.err, file, e);
        }
      }
      if (invalid) {
        return Vigil.EXIT_USAGE;
      }
      return failed == 0 ? Vigil.EXIT_OK : Vigil.EXIT_FAILURE;
    }
  }

  /**
   * {@code vigil rules backtest --rules F… --from T --to T}: replays history from Kafka, or with
   * {@code --elasticsearch-url} from what the alert engine indexed, through the rules and prints
   * when each would have fired and resolved — tune a rule before it pages anyone.
   */
  @Command(
      name = "backtest",
      mixinStandardHelpOptions = true,
      description = {
        "Replay history from Kafka or Elasticsearch through rules: when each would have fired and"
            + " resolved.",
        "From Kafka, golden signals come from vigil.signals (final windows; --live:"
            + " vigil.signals.live, kept an hour), pipeline runs from vigil.pipeline-runs, log lines"
            + " from vigil.logs. With --elasticsearch-url, from what the alert engine indexed:"
            + " metrics-vigil.signals-default, metrics-vigil.pipelines-default,"
            + " logs-vigil.app-default. Nothing is written.",
        "Credentials for Elasticsearch: --elasticsearch-username with $ELASTICSEARCH_PASSWORD, or"
            + " $ELASTICSEARCH_API_KEY (wins over basic auth).",
        "Exits 0 after printing, 2 when a file or an option is invalid, 1 when Kafka or"
            + " Elasticsearch cannot be read."
      })
  static final class BacktestCommand implements Callable<Integer> {
    /**
     * Environment variable holding the Elasticsearch password for {@code --elasticsearch-username}.
     */
    static final String PASSWORD_ENV = "ELASTICSEARCH_PASSWORD";

    /** Environment variable holding an Elasticsearch API key (the base64 {@code id:key} form). */
    static final String API_KEY_ENV = "ELASTICSEARCH_API_KEY";

    @Option(
        names = "--rules",
        arity = "1..*",
        required = true,
        paramLabel = "FILE",
        description = "Rule files.")
    List<Path> rules;

    @Option(
        names = "--from",
        required = true,
        paramLabel = "TIME",
        description = "Start: RFC 3339 (2026-12-01T08:00:00Z), now, or now-<duration> (now-6h).")
    String from;

    @Option(
        names = "--to",
        defaultValue = "now",
        paramLabel = "TIME",
        description = "End, as --from; default ${DEFAULT-VALUE}.")
    String to;

    @Option(
        names = "--bootstrap-servers",
        defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
        paramLabel = "HOST:PORT",
        description = "Kafka; default $KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092.")
    String bootstrapServers;

    @Option(
        names = "--live",
        description = "Golden signals from vigil.signals.live (as the engine sees them).")
    boolean live;

    @Option(
        names = "--elasticsearch-url",
        paramLabel = "URL",
        description =
            "Read history from this Elasticsearch (what the alert engine indexed, kept longer"
                + " than Kafka) instead of Kafka.")
    String elasticsearchUrl;

    @Option(
        names = "--elasticsearch-username",
        paramLabel = "USER",
        description =
            "Basic-auth user for --elasticsearch-url; the password is $" + PASSWORD_ENV + ".")
    String elasticsearchUsername;

    /** Where the secrets are read from; tests give their own. */
    Map<String, String> env = System.getenv();

    @Override
    public Integer call() {
      Instant now = Instant.now();
      Instant start;
      Instant end;
      List<AlertRule> loaded;
      ElasticsearchSettings elasticsearch;
      try {
        start = time("--from", from, now);
        end = time("--to", to, now);
        if (!end.isAfter(start)) {
          throw new IllegalArgumentException(
              "--to: must be after --from " + start + ", was " + end);
        }
        elasticsearch = elasticsearch(elasticsearchUrl, elasticsearchUsername, live, env);
        loaded = RuleLoader.load(rules);
      } catch (ConfigException | IllegalArgumentException e) {
        System.err.println("FAILED: " + e.getMessage());
        return Vigil.EXIT_USAGE;
      }
      Backtest.History history;
      if (elasticsearch != null) {
        try {
          history = ElasticsearchHistory.read(elasticsearch, loaded, start, end);
        } catch (RuntimeException e) {
          System.err.println("FAILED: cannot read history: " + e.getMessage());
          return Vigil.EXIT_FAILURE;
        }
      } else {
        try {
          history =
              Backtest.read(
                  KafkaSettings.of(bootstrapServers),
                  loaded,
                  start,
                  end,
                  live,
                  Duration.ofSeconds(60));
        } catch (RuntimeException e) {
          System.err.println("FAILED: cannot read history from " + bootstrapServers + ": " + e);
          return Vigil.EXIT_FAILURE;
        }
      }
      Backtest.Result result =
          Backtest.run(new AlertEvaluator(loaded, ""), history.samples(), history.lines(), end);
      print(System.out, loaded, history, result, start, end);
      return Vigil.EXIT_OK;
    }

    /**
     * The Elasticsearch to read from, or null to read from Kafka: {@code url} with the API key from
     * {@value #API_KEY_ENV} in {@code env}, else basic auth as {@code username} with the password
     * from {@value #PASSWORD_ENV}.
     *
     * @throws IllegalArgumentException naming the option when they do not fit together
     */
    static ElasticsearchSettings elasticsearch(
        String url, String username, boolean live, Map<String, String> env) {
      if (url == null) {
        if (username != null) {
          throw new IllegalArgumentException(
              "--elasticsearch-username: needs --elasticsearch-url, was '" + username + "'");
        }
        return null;
      }
      if (live) {
        throw new IllegalArgumentException(
            "--live: live signals (vigil.signals.live) are not indexed in Elasticsearch; leave"
                + " out --live to read final windows, or --elasticsearch-url to read Kafka");
      }
      Secret apiKey = secret(env, API_KEY_ENV);
      Secret password = secret(env, PASSWORD_ENV);
      boolean basic = apiKey == null && username != null && !username.isBlank();
      if (basic && password == null) {
        throw new IllegalArgumentException(
            "--elasticsearch-username: needs the password in $" + PASSWORD_ENV + ", was absent");
      }
      try {
        return new ElasticsearchSettings(
            url, basic ? username : null, basic ? password : null, apiKey);
      } catch (ConfigException e) {
        throw new IllegalArgumentException(
            "--elasticsearch-url: must be http(s)://host:port, was '" + url + "'", e);
      }
    }

    private static Secret secret(Map<String, String> env, String name) {
      String value = env.get(name);
      return value == null || value.isEmpty() ? null : Secret.of(value);
    }

    /** RFC 3339, {@code now} or {@code now-<duration>}. */
    static Instant time(String option, String text, Instant now) {
      String t = text.trim();
      try {
        if (t.equals("now")) {
          return now;
        }
        if (t.startsWith("now-")) {
          return now.minus(Durations.parse(t.substring(4)));
        }
        return OffsetDateTime.parse(t).toInstant();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            option
                + ": expected RFC 3339 (2026-12-01T08:00:00Z), now or now-<duration>, was '"
                + text
                + "'");
      }
    }

    private static void print(
        PrintStream out,
        List<AlertRule> rules,
        Backtest.History history,
        Backtest.Result result,
        Instant start,
        Instant end) {
      out.printf(
          "backtest of %d rules on %s from %s to %s: %,d samples%s%n",
          rules.size(),
          String.join(", ", history.sources()),
          start,
          end,
          result.samples(),
          history.unreadable() == 0
              ? ""
              : " (" + history.unreadable() + " unreadable records skipped)");
      Map<String, int[]> byRule = new LinkedHashMap<>();
      rules.forEach(r -> byRule.putIfAbsent(r.name(), new int[2]));
      for (AlertTransition t : result.transitions()) {
        boolean firing = t.state() == AlertTransition.State.FIRING;
        byRule.computeIfAbsent(t.rule(), r -> new int[2])[firing ? 0 : 1]++;
        Map<String, String> labels = new TreeMap<>(t.labels());
        labels.remove("alertname");
        out.printf(
            "%s  %-8s  %s %s  %s%n",
            firing ? t.startsAt() : t.endsAt(),
            firing ? "FIRING" : "RESOLVED",
            t.rule(),
            labels,
            firing
                ? "value " + Template.formatValue(t.value())
                : "after " + Durations.format(Duration.between(t.startsAt(), t.endsAt())));
      }
      Map<String, Long> stillFiring = new HashMap<>();
      result
          .firingAtEnd()
          .forEach(a -> stillFiring.merge(a.labels().getOrDefault("alertname", ""), 1L, Long::sum));
      out.println();
      byRule.forEach(
          (rule, counts) ->
              out.printf(
                  "%s: %s%n",
                  rule,
                  counts[0] == 0
                      ? "never fired"
                      : String.format(
                          "fired %d, resolved %d, firing at the end %d",
                          counts[0], counts[1], stillFiring.getOrDefault(rule, 0L))));
    }
  }

  /** {@code FAILED: <file>: <message>}, the file named once even when the message names it. */
  static void printInvalid(PrintStream err, Path file, RuntimeException e) {
    String message = e.getMessage();
    err.println("FAILED: " + (message.startsWith(file.toString()) ? "" : file + ": ") + message);
  }
}
