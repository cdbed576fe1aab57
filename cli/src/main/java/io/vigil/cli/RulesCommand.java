package io.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vigil.alerting.route.AlertmanagerConfig;
import io.vigil.alerting.rules.AlertRule;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.alerting.rules.RuleTests;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code vigil rules …}: work with rule files without running the engine. */
@Command(
    name = "rules",
    mixinStandardHelpOptions = true,
    description =
        "Validate alert rule files and Alertmanager-format routing files; run rule tests.",
    subcommands = {RulesCommand.Check.class, RulesCommand.Test.class})
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

  /** {@code FAILED: <file>: <message>}, the file named once even when the message names it. */
  static void printInvalid(PrintStream err, Path file, RuntimeException e) {
    String message = e.getMessage();
    err.println("FAILED: " + (message.startsWith(file.toString()) ? "" : file + ": ") + message);
  }
}
