package io.vigil.systemtests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Slowloris senders: connections to an HTTP server that each start a request and then send one byte
 * a second — half of them still in their headers, half in a body announced as 100 kB — for as long
 * as the server keeps them open. Records how each connection ended: what the server answered before
 * it closed it, if anything.
 */
final class Slowloris implements AutoCloseable {
  private static final String BODY_HEADERS =
      "Content-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n";

  private final List<Connection> connections = new ArrayList<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread trickler = new Thread(this::trickle, "slowloris");

  /** One slow connection, and the first line the server answered it (null while none). */
  private static final class Connection {
    final Socket socket;
    final boolean inBody;
    final long openedNanos = System.nanoTime();
    volatile boolean closed;
    volatile long closedAfterNanos;
    volatile String answer;

    Connection(Socket socket, boolean inBody) {
      this.socket = socket;
      this.inBody = inBody;
    }
  }

  private Slowloris() {}

  /** Opens {@code count} slow connections to {@code server}'s {@code /v1/metrics}. */
  static Slowloris open(URI server, int count) throws IOException {
    Slowloris slow = new Slowloris();
    for (int i = 0; i < count; i++) {
      Socket socket = new Socket(server.getHost(), server.getPort());
      String start =
          "POST /v1/metrics HTTP/1.1\r\nHost: "
              + server.getHost()
              + "\r\n"
              + (i % 2 == 0 ? "" : BODY_HEADERS); // odd ones are in their body
      socket.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      Connection connection = new Connection(socket, i % 2 != 0);
      slow.connections.add(connection);
      Thread reader = new Thread(() -> awaitAnswer(connection), "slowloris-reader-" + i);
      reader.setDaemon(true);
      reader.start();
    }
    slow.trickler.setDaemon(true);
    slow.trickler.start();
    return slow;
  }

  /** Reads what the server says on the connection until it closes it. */
  private static void awaitAnswer(Connection connection) {
    try {
      InputStream in = connection.socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int b; (b = in.read()) >= 0; ) {
        if (connection.answer == null) {
          if (b == '\r' || b == '\n') {
            connection.answer = line.toString();
          } else {
            line.append((char) b);
          }
        }
      }
    } catch (IOException e) {
      // reset by the server, or closed here: the connection is over either way
    }
    connection.closedAfterNanos = System.nanoTime() - connection.openedNanos;
    connection.closed = true;
  }

  /** A byte a second on every connection still open (a header's letter, or a body byte). */
  private void trickle() {
    try {
      while (!stop.await(1, TimeUnit.SECONDS)) { // the slow sender's pace
        for (Connection connection : connections) {
          if (connection.closed) {
            continue;
          }
          try {
            OutputStream out = connection.socket.getOutputStream();
            out.write('x');
            out.flush();
          } catch (IOException e) {
            // closed by the server: the reader sees it too
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Connections the server has closed. */
  int closed() {
    return (int) connections.stream().filter(c -> c.closed).count();
  }

  /**
   * The longest a connection closed by the server stayed open, of those in their body ({@code
   * inBody}) or in their headers; zero when none was closed.
   */
  Duration longestOpen(boolean inBody) {
    return Duration.ofNanos(
        connections.stream()
            .filter(c -> c.closed && c.inBody == inBody)
            .mapToLong(c -> c.closedAfterNanos)
            .max()
            .orElse(0));
  }

  /**
   * How many connections ended each way: the status line the server answered ("no answer" when
   * none), and whether the server has closed the connection.
   */
  Map<String, Integer> answers() {
    Map<String, Integer> byAnswer = new TreeMap<>();
    for (Connection c : connections) {
      String answer =
          (c.answer == null ? "no answer" : c.answer) + (c.closed ? ", closed" : ", open");
      byAnswer.merge(answer, 1, Integer::sum);
    }
    return byAnswer;
  }

  @Override
  public void close() throws IOException {
    stop.countDown();
    for (Connection connection : connections) {
      connection.socket.close();
    }
  }
}
