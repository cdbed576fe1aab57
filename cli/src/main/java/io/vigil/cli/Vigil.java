package io.vigil.cli;

import io.vigil.model.config.ConfigException;
import io.vigil.model.runtime.VigilVersion;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vigil} command: wires the services; the services themselves live in their modules.
 *
 * <p>This is the services' jar ({@code cli/target/vigil.jar}): it carries no embedded server. The
 * commands that need them, {@code demo} and {@code standalone}, live in the {@code local} module,
 * whose jar adds them through {@link #execute(List, String...)}; here they only say where to find
 * them.
 */
@Command(
    name = "vigil",
    mixinStandardHelpOptions = true,
    versionProvider = Vigil.Version.class,
    description = "Streaming telemetry and alerting for Kubernetes services and data pipelines.",
    exitCodeOnInvalidInput = Vigil.EXIT_USAGE,
    exitCodeOnExecutionException = Vigil.EXIT_FAILURE)
public final class Vigil implements Runnable {
  /** Success. */
  public static final int EXIT_OK = 0;

  /** Runtime failure. */
  public static final int EXIT_FAILURE = 1;

  /** Bad usage or bad configuration. */
  public static final int EXIT_USAGE = 2;

  /** The commands that need the embedded servers, hence the {@code local} module. */
  private static final List<String> LOCAL_COMMANDS = List.of("demo", "standalone");

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
    return execute(List.of(), args);
  }

  /**
   * Runs the command line with {@code localCommands} (picocli commands named {@code demo} and
   * {@code standalone}) listed first; a local command not given answers that it is not in this jar.
   */
  public static int execute(List<Object> localCommands, String... args) {
    CommandLine cli = new CommandLine(new Vigil());
    for (String name : LOCAL_COMMANDS) {
      Object command =
          localCommands.stream()
              .filter(c -> c.getClass().getAnnotation(Command.class).name().equals(name))
              .findFirst()
              .orElseGet(() -> new NotInThisJar(name));
      cli.addSubcommand(name, command);
    }
    cli.addSubcommand(new CollectorCommand())
        .addSubcommand(new ProcessorCommand())
        .addSubcommand(new AlertingCommand())
        .addSubcommand(new RulesCommand())
        .addSubcommand(new CommandLine.HelpCommand());
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

  /** Stands in for a command of the {@code local} module: says where it is, exits 2. */
  @Command(hidden = true)
  static final class NotInThisJar implements Callable<Integer> {
    private final String name;

    @CommandLine.Unmatched List<String> ignored;

    NotInThisJar(String name) {
      this.name = name;
    }

    @Override
    public Integer call() {
      System.err.printf(
          "vigil: '%s' needs the embedded servers, which the services' jar leaves out; run"
              + " './vigil %s' from a clone of the repository (it builds"
              + " local/target/vigil-local.jar) or 'java -jar vigil-local.jar %s'%n",
          name, name, name);
      return EXIT_USAGE;
    }
  }

  /** Vigil's version ({@link VigilVersion}) and the Java running it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "vigil " + VigilVersion.get(),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vendor")
            + ")"
      };
    }
  }
}
