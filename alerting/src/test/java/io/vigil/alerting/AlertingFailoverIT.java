package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.alerting.rules.Signals;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.junit.WithSlackSink;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.embedded.process.ChildJvm;
import io.vigil.embedded.slack.SlackPost;
import io.vigil.embedded.slack.SlackSink;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two alerting instances in their own JVMs share the work; one is killed with SIGKILL while alerts
 * keep firing. Every alert must still reach Slack — none stranded with the dead instance's tasks or
 * queue partitions — and at most the one message in flight may repeat.
 */
@WithKafka
@WithSlackSink
class AlertingFailoverIT {
  private static final Pattern ADMIN_PORT = Pattern.compile("admin on port (\\d+)");
  private static final Pattern SERVICE = Pattern.compile("svc-(\\d+)");
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final int SERVICES = 16;
  private static final int KILLED_AT = 6;

  @TempDir Path dir;

  @Test
  void everyAlertIsNotifiedWhenOneOfTwoInstancesIsKilled(EmbeddedKafka kafka, SlackSink slack)
      throws Exception {
    try (ChildJvm first = start(kafka, slack, "a");
        ChildJvm second = start(kafka, slack, "b");
        KafkaProducer<byte[], byte[]> producer = ServiceTestKit.producer(kafka)) {
      awaitStreamsRunning(first);
      awaitStreamsRunning(second);

      long killedAt = 0;
      for (int s = 0; s < SERVICES; s++) {
        if (s == KILLED_AT) {
          first.kill(); // SIGKILL: no close, no commit, no leave-group
          killedAt = System.nanoTime();
        }
        ServiceTestKit.sendLive(producer, Signals.errorRatio("svc-" + s, 0, 0.5));
        TimeUnit.MILLISECONDS.sleep(500); // the alerts' pace, not synchronisation
      }
      assertThat(second.isAlive()).as("the surviving instance").isTrue();

      Map<Integer, Integer> postsPerService = new TreeMap<>();
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (postsPerService.size() < SERVICES && System.nanoTime() < deadline) {
        postsPerService = postsPerService(slack.acceptedPosts());
        TimeUnit.MILLISECONDS.sleep(200); // polling interval; the deadline bounds the wait
      }
      assertThat(postsPerService.keySet()).as("services notified").hasSize(SERVICES);
      // For the record (not asserted: timings belong to bench/): when the last alert arrived.
      System.out.printf(
          "failover: all %d alerts notified %.1f s after the kill (the last one was sent %.1f s"
              + " after it)%n",
          SERVICES, (System.nanoTime() - killedAt) / 1e9, (SERVICES - KILLED_AT - 1) * 0.5);
      int repeated =
          postsPerService.values().stream().mapToInt(n -> n - 1).filter(n -> n > 0).sum();
      assertThat(repeated).as("repeated notifications (at most the one in flight)").isLessThan(2);
    }
  }

  private static Map<Integer, Integer> postsPerService(List<SlackPost> posts) {
    Map<Integer, Integer> count = new TreeMap<>();
    for (SlackPost post : posts) {
      Matcher m = SERVICE.matcher(post.text());
      if (m.find()) {
        count.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
      }
    }
    return count;
  }

  private ChildJvm start(EmbeddedKafka kafka, SlackSink slack, String name) throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
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
            kafka:
              bootstrap_servers: %s
              overrides:
                session.timeout.ms: 6000
                heartbeat.interval.ms: 1000
            rule_files: ['%s']
            alertmanager_config: '%s'
            elasticsearch: {url: 'http://127.0.0.1:%d'}
            state_dir: '%s'
            admin: {host: 127.0.0.1, port: 0}
            """
                .formatted(
                    kafka.bootstrapServers(), rules, routing, closedPort, dir.resolve(name)));
    return ChildJvm.start(
        name, AlertingProcess.class, List.of(config.toString()), ADMIN_PORT, DEADLINE);
  }

  /** Waits until the instance's Kafka Streams runs (Elasticsearch stays down on purpose). */
  private static void awaitStreamsRunning(ChildJvm instance) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest readyz =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.readyValue() + "/readyz"))
            .build();
    ServiceTestKit.await(
        () -> http.send(readyz, HttpResponse.BodyHandlers.ofString()).body(),
        body -> !body.contains("streams") && !body.contains("delivery"));
  }
}
