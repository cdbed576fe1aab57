package io.vigil.embedded.prometheus;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code prometheus-node-exporter}, started for a test on 127.0.0.1 with only the
 * collectors it names, and stopped by its PID. Tests that need it skip where it is not installed
 * ({@link #installed()}); CI installs it.
 */
public final class NodeExporter implements AutoCloseable {
  /** Where Debian's package puts the binary. */
  public static final Path BINARY = Path.of("/usr/bin/prometheus-node-exporter");

  private final Process process;
  private final int port;

  private NodeExporter(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Whether the binary is there. */
  public static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  /**
   * Starts it with the default collectors off and {@code collectors} on (e.g. {@code cpu}, {@code
   * meminfo}), and waits until it listens (at most 30 s).
   */
  public static NodeExporter start(String... collectors) throws IOException, InterruptedException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    List<String> command = new ArrayList<>();
    command.add(BINARY.toString());
    command.add("--web.listen-address=127.0.0.1:" + port);
    command.add("--collector.disable-defaults");
    for (String collector : collectors) {
      command.add("--collector." + collector);
    }
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    NodeExporter exporter = new NodeExporter(process, port);
    try {
      exporter.awaitListening(Duration.ofSeconds(30));
    } catch (IOException | RuntimeException | InterruptedException e) {
      exporter.close();
      throw e;
    }
    return exporter;
  }

  /** {@code 127.0.0.1:<port>}, the target to scrape. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  private void awaitListening(Duration wait) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          throw new IOException("node exporter exited with " + process.exitValue());
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("node exporter not listening on " + address() + " after " + wait);
        }
        TimeUnit.MILLISECONDS.sleep(50); // polling a port another process opens
      }
    }
  }

  /** SIGTERM to the process started here (by its PID), then waits for it. */
  @Override
  public void close() {
    stop(process);
  }

  /** SIGTERM to {@code process} (by its PID), then up to 10 s for it to end, else SIGKILL. */
  static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
