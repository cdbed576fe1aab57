package io.vigil.systemtests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP forwarder on 127.0.0.1 that can be taken down and brought back on the same port: while
 * down, connections are refused and open ones are cut, as if the server behind it had gone away —
 * an outage of a server that takes long to restart (Elasticsearch), without restarting it.
 */
final class TcpProxy implements AutoCloseable {
  private final int port;
  private final int targetPort;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "tcp-proxy");
            t.setDaemon(true);
            return t;
          });
  private final List<Socket> open = new ArrayList<>();
  private ServerSocket server;

  private TcpProxy(int port, int targetPort) {
    this.port = port;
    this.targetPort = targetPort;
  }

  /** A proxy on {@code port} (0: any free one) to {@code 127.0.0.1:targetPort}, up. */
  static TcpProxy start(int port, int targetPort) throws IOException {
    TcpProxy proxy = new TcpProxy(port, targetPort);
    proxy.up();
    return proxy;
  }

  int port() {
    return server.getLocalPort();
  }

  /** Accepts connections again, on the same port. */
  synchronized void up() throws IOException {
    if (server != null && !server.isClosed()) {
      return;
    }
    int bindTo = server == null ? port : server.getLocalPort();
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), bindTo));
    server = socket;
    threads.execute(() -> accept(socket));
  }

  /** Refuses new connections and cuts the open ones. */
  synchronized void down() {
    closeQuietly(server);
    synchronized (open) {
      open.forEach(TcpProxy::closeQuietly);
      open.clear();
    }
  }

  private void accept(ServerSocket socket) {
    while (!socket.isClosed()) {
      try {
        Socket client = socket.accept();
        Socket target = new Socket(InetAddress.getByName("127.0.0.1"), targetPort);
        synchronized (open) {
          open.add(client);
          open.add(target);
        }
        threads.execute(() -> pump(client, target));
        threads.execute(() -> pump(target, client));
      } catch (IOException e) {
        // closed by down(), or the target refused: the client's connection ends
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side went away
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    down();
    threads.shutdownNow();
  }
}
