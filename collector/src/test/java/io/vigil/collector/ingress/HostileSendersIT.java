package io.vigil.collector.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.collector.ReceiversUnderTest;
import io.vigil.collector.TestRequests;
import io.vigil.collector.otlp.OtlpGrpcSettings;
import io.vigil.collector.otlp.OtlpHttpSettings;
import io.vigil.collector.otlp.RateLimitSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Senders that try to hurt the ingress: slowloris connections, bodies over the limit, a port
 * already taken. The sink stores in memory; what is tested is the ingress.
 */
class HostileSendersIT {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private ReceiversUnderTest receiver;

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.close();
    }
  }

  private void start(int maxBodyBytes) throws IOException {
    receiver =
        ReceiversUnderTest.start(
            records -> CompletableFuture.completedFuture(null),
            new OtlpHttpSettings(null, "127.0.0.1", 0, maxBodyBytes, REQUEST_TIMEOUT, null),
            OtlpGrpcSettings.of("127.0.0.1", 0));
  }

  @Test
  void fiftySlowlorisConnectionsDoNotStarveANormalSender() throws Exception {
    start(OtlpHttpSettings.DEFAULT_MAX_BODY_BYTES);
    int port = receiver.httpPort();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService trickle = Executors.newFixedThreadPool(50);
    List<Future<String>> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) {
        slow.add(trickle.submit(() -> trickleBody(port, stop)));
      }
      byte[] body = TestRequests.metrics(10, "steady").toByteArray();
      for (int i = 0; i < 20; i++) {
        long start = System.nanoTime();
        HttpResponse<byte[]> response =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/metrics"))
                    .header("Content-Type", "application/x-protobuf")
                    .timeout(REQUEST_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .as("answered within the sender's timeout")
            .isLessThan(REQUEST_TIMEOUT);
      }
      assertThat(receiver.accepted("metrics")).isEqualTo(200);
      for (Future<String> connection : slow) {
        assertThat(connection.get(30, TimeUnit.SECONDS))
            .as("a slowloris sender is cut off at the request timeout")
            .startsWith("HTTP/1.1 408");
      }
      assertThat(receiver.scrape())
          .contains(
              "vigil_collector_requests_rejected_total{reason=\"timeout\",signal=\"metrics\",transport=\"http\"} 50.0");
    } finally {
      stop.set(true);
      trickle.shutdownNow();
    }
  }

  /** Writes a metrics POST's request line and headers announcing {@code length} body bytes. */
  private static void writeHeaders(OutputStream out, int length) throws IOException {
    out.write(
        ("POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/x-protobuf\r\nContent-Length: "
                + length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
  }

  /** Sends headers, then one body byte every 100 ms; returns the status line it gets. */
  private static String trickleBody(int port, AtomicBoolean stop) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      writeHeaders(out, 100_000);
      out.flush();
      InputStream in = socket.getInputStream();
      while (!stop.get()) {
        if (in.available() > 0) {
          break;
        }
        try {
          out.write(0);
          out.flush();
        } catch (IOException closed) {
          break; // the server gave up on us: read what it said
        }
        try {
          Thread.sleep(100); // the trickle itself, not synchronisation
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return "interrupted";
        }
      }
      byte[] line = in.readNBytes(12);
      return new String(line, StandardCharsets.US_ASCII);
    }
  }

  @Test
  void requestsBeyondTheMemoryBudgetAre503WhileSmallOnesGoOn() throws Exception {
    // Kafka is slow: batches over 1 MiB wait until released; small ones are stored at once.
    CompletableFuture<Void> kafkaCatchesUp = new CompletableFuture<>();
    long budget = 2_500_000;
    receiver =
        ReceiversUnderTest.start(
            records -> {
              long bytes = records.stream().mapToLong(r -> r.value().length).sum();
              return bytes > 1 << 20 ? kafkaCatchesUp : CompletableFuture.completedFuture(null);
            },
            new OtlpHttpSettings(null, "127.0.0.1", 0, 2 << 20, Duration.ofSeconds(30), null),
            OtlpGrpcSettings.of("127.0.0.1", 0),
            java.util.Map.of(),
            budget,
            SenderRateLimits.NONE);
    byte[] big = TestRequests.metrics(70_000, "big").toByteArray();
    assertThat(big.length).isBetween(1_300_000, 2 << 20);

    CompletableFuture<HttpResponse<String>> first = postAsync(big);
    awaitInFlightAtLeast(big.length);
    HttpResponse<String> second = postAsync(big).get(30, TimeUnit.SECONDS);
    HttpResponse<String> small =
        postAsync(TestRequests.metrics(5, "small").toByteArray()).get(30, TimeUnit.SECONDS);

    assertThat(second.statusCode()).isEqualTo(503);
    assertThat(second.headers().firstValue("Retry-After")).isPresent();
    assertThat(second.body()).contains("collector.otlp.max_in_flight_bytes");
    assertThat(small.statusCode()).as("a small request still fits").isEqualTo(200);
    assertThat(first).isNotDone();

    kafkaCatchesUp.complete(null);
    assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(receiver.scrape())
        .contains("vigil_collector_in_flight_bytes 0.0")
        .contains("vigil_collector_in_flight_limit_bytes 2500000.0")
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"memory_limit\",signal=\"metrics\",transport=\"http\"} 1.0");
    assertThat(postAsync(big).get(30, TimeUnit.SECONDS).statusCode())
        .as("the retry, once the budget is free")
        .isEqualTo(200);
  }

  @Test
  void aSenderOverItsRateGets429WhileOthersGoOn() throws Exception {
    startWithSenders(new RateLimitSettings(10L, 1_000L, null, null));
    byte[] sixHundredPoints = TestRequests.metrics(600, "svc").toByteArray();

    assertThat(post(sixHundredPoints, "noisy-token").statusCode()).isEqualTo(200);
    HttpResponse<String> limited = post(sixHundredPoints, "noisy-token");
    assertThat(post(sixHundredPoints, "quiet-token").statusCode())
        .as("another sender has its own budget")
        .isEqualTo(200);

    assertThat(limited.statusCode()).isEqualTo(429);
    // 400 of the burst of 1,000 left, 200 missing at 10 a second: 20 s (19 after a slow second)
    assertThat(limited.headers().firstValue("Retry-After").map(Integer::valueOf))
        .hasValueSatisfying(seconds -> assertThat(seconds).isBetween(19, 20));
    assertThat(limited.body()).contains("sender 'noisy' is over its rate");
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"rate_limited\",signal=\"metrics\",transport=\"http\"} 1.0");
  }

  @Test
  void aSenderWithABodyLimitOfItsOwnGets413NamingItWhileOthersGoOn() throws Exception {
    startWithSenders(new RateLimitSettings(null, null, null, java.util.Map.of("noisy", 1024L)));
    byte[] fiftyPoints = TestRequests.metrics(50, "svc").toByteArray();
    assertThat(fiftyPoints.length).isBetween(1025, 1 << 20);

    HttpResponse<String> limited = post(fiftyPoints, "noisy-token");

    assertThat(limited.statusCode()).isEqualTo(413);
    assertThat(limited.body())
        .contains(
            "request body of "
                + fiftyPoints.length
                + " bytes exceeds the limit of 1024 bytes"
                + " (collector.otlp.rate_limit.max_body_bytes.noisy)");
    assertThat(post(fiftyPoints, "quiet-token").statusCode())
        .as("another sender has the listener's limit")
        .isEqualTo(200);
    assertThat(post(TestRequests.metrics(1, "svc").toByteArray(), "noisy-token").statusCode())
        .as("a body within its own limit")
        .isEqualTo(200);
  }

  /** Receivers with a 1 MiB body limit for two senders, "noisy" and "quiet", and {@code limits}. */
  private void startWithSenders(RateLimitSettings limits) throws IOException {
    receiver =
        ReceiversUnderTest.start(
            records -> CompletableFuture.completedFuture(null),
            new OtlpHttpSettings(null, "127.0.0.1", 0, 1 << 20, Duration.ofSeconds(30), null),
            OtlpGrpcSettings.of("127.0.0.1", 0),
            java.util.Map.of("noisy", "noisy-token", "quiet", "quiet-token"),
            1L << 30,
            new SenderRateLimits(limits));
  }

  private HttpResponse<String> post(byte[] body, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + receiver.httpPort() + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> postAsync(byte[] body) {
    return http.sendAsync(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + receiver.httpPort() + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void awaitInFlightAtLeast(long bytes) {
    java.util.regex.Pattern gauge =
        java.util.regex.Pattern.compile("(?m)^vigil_collector_in_flight_bytes (\\S+)$");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      java.util.regex.Matcher m = gauge.matcher(receiver.scrape());
      if (m.find() && Double.parseDouble(m.group(1)) >= bytes) {
        return;
      }
      assertThat(System.nanoTime()).as("%d bytes in flight", bytes).isLessThan(deadline);
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  @Test
  void aBodyOverTheLimitIsReadAndAnswered413NotReset() throws Exception {
    start(1024 * 1024);
    byte[] eightMiB = new byte[8 * 1024 * 1024];

    HttpResponse<String> withLength = post(HttpRequest.BodyPublishers.ofByteArray(eightMiB));
    HttpResponse<String> chunked =
        post(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(eightMiB)));

    assertThat(withLength.statusCode()).isEqualTo(413);
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(receiver.scrape())
        .contains(
            "vigil_collector_requests_rejected_total{reason=\"too_large\",signal=\"metrics\",transport=\"http\"} 2.0");
    // The sender is not cut off: its next request, on a new connection, is served.
    assertThat(post(HttpRequest.BodyPublishers.ofByteArray(new byte[0])).statusCode())
        .isEqualTo(200);
  }

  @Test
  void theConnectionIsClosedAfterThe413() throws Exception {
    start(1024);
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), receiver.httpPort())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      writeHeaders(out, 4096);
      out.write(new byte[4096]);
      out.flush();

      // Everything the server sends until it closes: the 413, then the end of the stream (a
      // read that timed out instead would fail the test with SocketTimeoutException).
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close");
      assertThat(answer).contains("exceeds the limit of 1024 bytes");
    }
  }

  private HttpResponse<String> post(HttpRequest.BodyPublisher body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + receiver.httpPort() + "/v1/metrics"))
            .header("Content-Type", "application/x-protobuf")
            .timeout(Duration.ofSeconds(30))
            .POST(body)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPortInUseIsNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();

      assertThatThrownBy(
              () ->
                  ReceiversUnderTest.start(
                      records -> CompletableFuture.completedFuture(null),
                      OtlpHttpSettings.of("127.0.0.1", port),
                      OtlpGrpcSettings.of("127.0.0.1", 0)))
          .isInstanceOf(IOException.class)
          .hasMessage("cannot listen on 127.0.0.1:" + port + " for otlp_http: address in use");
    }
  }
}
