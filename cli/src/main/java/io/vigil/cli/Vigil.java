package io.vigil.cli;

import io.vigil.cli.demo.DemoCommand;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vigil} command: wires the services; the services themselves live in their modules. */
@Command(
    name = "vigil",
    mixinStandardHelpOptions = true,
    versionProvider = Vigil.Version.class,
    description = "Streaming telemetry and alerting for Kubernetes services and data pipelines.",
    subcommands = {
      DemoCommand.class,
      StandaloneCommand.class,
      CollectorCommand.class,
      ProcessorCommand.class,
      AlertingCommand.class,
      RulesCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeOnInvalidInput = Vigil.EXIT_USAGE,
    exitCodeOnExecutionException = Vigil.EXIT_FAILURE)
public final class Vigil implements Runnable {
  /** Success. */
  static final int EXIT_OK = 0;

  /** Runtime failure. */
  static final int EXIT_FAILURE = 1;

  /** Bad usage or bad configuration. */
  static final int EXIT_USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Entry point; exits with 0, 1 or 2 as ARCHITECTURE.md defines. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code instead of exiting (used by tests). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new Vigil());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          Throwable cause = e;
          while (cause != null && !(cause instanceof ConfigException)) {
            cause = cause.getCause();
          }
          if (cause != null) {
            commandLine.getErr().println("vigil: bad configuration: " + cause.getMessage());
            return EXIT_USAGE;
          }
          commandLine.getErr().println("vigil: " + e.getMessage());
          if (!(e instanceof IllegalStateException)) {
            e.printStackTrace(commandLine.getErr());
          }
          return EXIT_FAILURE;
        });
    return cli.execute(args);
  }

  /** Reads the version the build wrote into {@code vigil-version.properties}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties props = new Properties();
      try (InputStream in = Vigil.class.getResourceAsStream("/vigil-version.properties")) {
        if (in != null) {
          props.load(in);
        }
      }
      return new String[] {
        "vigil " + props.getProperty("version", "unknown"),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")"
      };
    }
  }
}
