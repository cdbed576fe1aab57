package io.vigil.embedded.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Java main class in a JVM of its own, on this JVM's class path — for tests that kill a service
 * with SIGKILL, which cannot be done to a thread. Its output is echoed with a {@code [name]}
 * prefix; {@link #start} returns once a line matches {@code ready} and hands over the pattern's
 * first group (e.g. the admin port the service logged).
 */
public final class ChildJvm implements AutoCloseable {
  private final String name;
  private final Process process;
  private final String readyValue;

  private ChildJvm(String name, Process process, String readyValue) {
    this.name = name;
    this.process = process;
    this.readyValue = readyValue;
  }

  /**
   * Starts {@code mainClass} with {@code args} and waits up to {@code timeout} for a line of its
   * output that matches {@code ready}.
   *
   * @throws IOException when the JVM cannot be started, exits, or does not get ready in time
   */
  public static ChildJvm start(
      String name, Class<?> mainClass, List<String> args, Pattern ready, Duration timeout)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> readyValue = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  System.out.println("[" + name + "] " + line);
                  Matcher m = ready.matcher(line);
                  if (m.find()) {
                    readyValue.complete(m.groupCount() > 0 ? m.group(1) : line);
                  }
                }
              } catch (IOException ended) {
                // the process was killed
              }
              readyValue.completeExceptionally(new IOException(name + " exited"));
            },
            name + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ChildJvm(name, process, readyValue.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IOException(name + " did not get ready within " + timeout, e);
    }
  }

  /** The first group of the line that made it ready (the whole line when there is none). */
  public String readyValue() {
    return readyValue;
  }

  /** Whether the JVM still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no close, no commit, no leave-group. Waits until it is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Kills it if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
