package io.vigil.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.signal.GoldenSignal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Failover of the alert engine: two {@code vigil alerting} instances, each in a JVM of its own with
 * the defaults (10 s session timeout), share an embedded broker and one Slack stand-in. Every
 * {@code --interval-ms} (default 250) a fresh service's violating live signal goes to {@code
 * vigil.signals.live}; after {@code --before} (default 8) of them one instance is killed with
 * SIGKILL, and {@code --after} (default 60) more follow. Per run ({@code --runs}, default 3, each
 * on a fresh broker and fresh instances) it prints each alert's time from its signal to its Slack
 * post: before the kill, and after it — where alerts of the dead instance's partitions wait for the
 * survivor to take them over, so their slowest is the failover time — with the posts beyond one per
 * service (duplicates) and the alerts never posted within 90 s (missed).
 */
public final class FailoverBench {
  private static final Pattern SERVICE = Pattern.compile("fo-(\\d+)");

  private FailoverBench() {}

  /** Entry point; see the class comment for arguments. */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int runs = Integer.parseInt(args.getOrDefault("runs", "3"));
    int before = Integer.parseInt(args.getOrDefault("before", "8"));
    int after = Integer.parseInt(args.getOrDefault("after", "60"));
    long intervalMs = Long.parseLong(args.getOrDefault("interval-ms", "250"));
    double[] failover = new double[runs];
    double[] duplicates = new double[runs];
    for (int r = 0; r < runs; r++) {
      ObjectNode run = run(before, after, intervalMs);
      System.out.println(Json.mapper().writeValueAsString(run));
      failover[r] = run.get("after_kill_max_ms").asDouble();
      duplicates[r] = run.get("duplicates").asDouble();
    }
    System.out.printf(
        "{\"runs\": %d, \"failover_ms\": %s, \"duplicates\": %s}%n",
        runs, BenchRequests.summary(failover), BenchRequests.summary(duplicates));
    System.exit(0);
  }

  private static ObjectNode run(int before, int after, long intervalMs) throws Exception {
    Path dir = Files.createTempDirectory("vigil-failover-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0);
        SlackSink slack = SlackSink.start();
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
      Map<Integer, Long> sentAt = new ConcurrentHashMap<>();
      Map<Integer, List<Long>> postedAt = new ConcurrentHashMap<>();
      AtomicInteger resolved = new AtomicInteger();
      slack.onPost(post -> record(post, postedAt, resolved));
      Process first = start(kafka, slack, dir, "a");
      Process second = start(kafka, slack, dir, "b");
      long killedAt = 0;
      try {
        for (int s = 0; s < before + after; s++) {
          if (s == before) {
            first.destroyForcibly(); // SIGKILL to the PID we started: no close, no leave-group
            killedAt = System.currentTimeMillis();
          }
          sentAt.put(s, System.currentTimeMillis());
          send(producer, s);
          TimeUnit.MILLISECONDS.sleep(intervalMs); // the alerts' pace, not synchronisation
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (postedAt.size() < before + after && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(100); // polling interval with a deadline
        }
      } finally {
        second.destroy();
        second.waitFor(30, TimeUnit.SECONDS);
        first.waitFor(30, TimeUnit.SECONDS);
      }
      List<Long> beforeKill = new ArrayList<>();
      List<Long> afterKill = new ArrayList<>();
      int missed = 0;
      int repeated = 0;
      for (int s = 0; s < before + after; s++) {
        List<Long> posts = postedAt.get(s);
        if (posts == null) {
          missed++;
          continue;
        }
        repeated += posts.size() - 1;
        long latency =
            posts.stream().mapToLong(Long::longValue).min().orElseThrow() - sentAt.get(s);
        (s < before ? beforeKill : afterKill).add(latency);
      }
      long lastPost =
          postedAt.values().stream()
              .flatMap(List::stream)
              .mapToLong(Long::longValue)
              .max()
              .orElse(0);
      ObjectNode result = Json.mapper().createObjectNode();
      result.put("alerts_before_kill", before);
      result.put("alerts_after_kill", after);
      result.put("before_kill_p50_ms", median(beforeKill));
      result.put("after_kill_p50_ms", median(afterKill));
      result.put(
          "after_kill_max_ms", afterKill.stream().mapToLong(Long::longValue).max().orElse(-1));
      result.put("after_kill_slower_than_1s", afterKill.stream().filter(ms -> ms > 1000).count());
      result.put("last_post_after_kill_ms", lastPost - killedAt);
      result.put("duplicates", repeated);
      result.put("resolved_posts", resolved.get());
      result.put("missed", missed);
      return result;
    } finally {
      org.apache.kafka.common.utils.Utils.delete(dir.toFile());
    }
  }

  /**
   * Records an accepted post of a firing alert (Alertmanager's {@code [FIRING:n]} title) per
   * service it names; resolutions (the services' signals stop, so their alerts resolve later) are
   * only counted.
   */
  private static void record(
      SlackPost post, Map<Integer, List<Long>> postedAt, AtomicInteger resolved) {
    if (!post.accepted()) {
      return;
    }
    if (!post.body().contains("[FIRING")) {
      resolved.incrementAndGet();
      return;
    }
    Set<Integer> named = new HashSet<>(); // a post names its service in its title and its text
    Matcher m = SERVICE.matcher(post.body());
    while (m.find()) {
      named.add(Integer.parseInt(m.group(1)));
    }
    for (int s : named) {
      postedAt.computeIfAbsent(s, k -> new ArrayList<>()).add(post.receivedAt().toEpochMilli());
    }
  }

  /** The median of {@code values} (nearest rank), -1 if there are none. */
  private static long median(List<Long> values) {
    if (values.isEmpty()) {
      return -1;
    }
    long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
    return BenchRequests.percentile(sorted, 0.5);
  }

  /** A live signal of service {@code fo-<s>} over the last 10 s with half its requests failed. */
  private static void send(KafkaProducer<byte[], byte[]> producer, int s) throws Exception {
    Instant end = Instant.now();
    GoldenSignal signal =
        new GoldenSignal(
            end,
            new GoldenSignal.Window(end.minusSeconds(10), end, 10),
            "c1",
            "shop",
            "fo-" + s,
            null,
            new GoldenSignal.Traffic(1000, 100.0),
            new GoldenSignal.Errors(500, 0.5),
            null,
            null);
    producer
        .send(
            new ProducerRecord<>(
                Topics.SIGNALS_LIVE,
                signal.seriesKey().getBytes(StandardCharsets.UTF_8),
                Json.mapper().writeValueAsBytes(signal)))
        .get();
  }

  /**
   * Starts {@code vigil alerting} as instance {@code name} (one rule: error ratio above 5 %; every
   * alert its own group, sent at once) and waits until its stream threads and delivery run.
   * Elasticsearch is left out (a closed port): indexing is not what fails over here.
   */
  private static Process start(EmbeddedKafka kafka, SlackSink slack, Path dir, String name)
      throws Exception {
    Path rules =
        Files.writeString(
            dir.resolve("rules.yaml"),
            "groups: [{name: g, rules: [{alert: HighErrorRatio, expr: errors.ratio > 0.05}]}]\n");
    Path routing =
        Files.writeString(
            dir.resolve("alertmanager.yml"),
            "route: {receiver: r, group_by: ['...'], group_wait: 0s, group_interval: 1s}\n"
                + "receivers: [{name: r, slack_configs: [{api_url: '"
                + slack.webhookUrl()
                + "'}]}]\n");
    Path config =
        Files.writeString(
            dir.resolve(name + ".yaml"),
            """
            alerting:
              kafka: {bootstrap_servers: '%s'}
              rule_files: ['%s']
              alertmanager_config: '%s'
              elasticsearch: {url: 'http://127.0.0.1:9'}
              state_dir: '%s'
              admin: {host: 127.0.0.1, port: 0}
            """
                .formatted(kafka.bootstrapServers(), rules, routing, dir.resolve(name)));
    Process process =
        new ProcessBuilder(
                CollectorBench.javaCommand(
                    "-Xmx256m", "io.vigil.cli.Vigil", "alerting", "--config", config.toString()))
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Pattern ready = Pattern.compile("vigil alerting: API and admin on :(\\d+)");
    int port = -1;
    for (String line = out.readLine(); port < 0; line = out.readLine()) {
      if (line == null) {
        throw new IllegalStateException(
            "alerting instance " + name + " exited before it was ready");
      }
      Matcher m = ready.matcher(line);
      if (m.find()) {
        port = Integer.parseInt(m.group(1));
      }
    }
    Thread drain = new Thread(() -> out.lines().forEach(l -> {}), "alerting-" + name + "-output");
    drain.setDaemon(true);
    drain.start();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest readyz =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      String body = http.send(readyz, HttpResponse.BodyHandlers.ofString()).body();
      if (!body.contains("streams") && !body.contains("delivery")) {
        return process;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("alerting instance " + name + " not running: " + body);
      }
      TimeUnit.MILLISECONDS.sleep(200); // polling interval with a deadline
    }
  }
}
