package io.vigil.processor;

import static io.vigil.processor.OtlpRequests.cumulative;
import static io.vigil.processor.OtlpRequests.point;
import static io.vigil.processor.OtlpRequests.request;
import static io.vigil.processor.OtlpRequests.resource;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.embedded.junit.WithKafka;
import io.vigil.embedded.kafka.EmbeddedKafka;
import io.vigil.model.Topics;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.AdminSettings;
import io.vigil.model.signal.GoldenSignal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processor instances share the partitions; {@code /api/signals} of either shows every
 * service's signals — its own and what it asks the other for — while {@code scope=local} shows only
 * its own part, and {@code service=} one service.
 */
@WithKafka
class ProcessorPeersIT {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final TypeReference<List<GoldenSignal>> SIGNALS = new TypeReference<>() {};

  @TempDir Path stateDir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void eitherInstanceShowsEveryServicesSignals(EmbeddedKafka kafka) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<ProcessorService> instances = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 2; i++) {
        instances.add(
            ProcessorService.start(
                new ProcessorConfig(
                    KafkaSettings.of(kafka.bootstrapServers()),
                    "vigil-processor-peers-it-" + run,
                    stateDir.resolve("instance-" + i).toString(),
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(2),
                    null,
                    null,
                    null,
                    new AdminSettings("127.0.0.1", 0)),
                new PrometheusRegistry()));
      }
      ProcessorService one = instances.get(0);
      ProcessorService two = instances.get(1);
      await("both instances running", () -> one.isRunning() && two.isRunning());

      // 24 services: with 3 partitions split 2 + 1, both instances get some (all on one: 6e-5).
      Set<String> services = new TreeSet<>();
      Instant start = Instant.now().plusSeconds(1);
      for (int s = 0; s < 24; s++) {
        String service = "peers-" + run + "-" + s;
        services.add(service);
        Instant time = start.plusMillis(500);
        producer.send(
            new ProducerRecord<>(
                Topics.OTLP_METRICS,
                null,
                request(
                        resource(service, "shop", "it-cluster"),
                        cumulative(point(start, time, 200, 10), point(start, time, 500, 1)))
                    .toByteArray()));
      }
      producer.flush();

      await(
          "every service's signal on the first instance's /api/signals",
          () -> services(one, "").containsAll(services));
      assertThat(services(two, "")).as("the second instance's /api/signals").containsAll(services);
      Set<String> localOne = services(one, "?scope=local");
      Set<String> localTwo = services(two, "?scope=local");
      localOne.retainAll(services);
      localTwo.retainAll(services);
      assertThat(localOne).as("the first instance's own part").isNotEmpty().isNotEqualTo(services);
      assertThat(localTwo).as("the second instance's own part").isNotEmpty().isNotEqualTo(services);

      String wanted = localTwo.iterator().next(); // a service the second instance holds
      List<GoldenSignal> filtered = signals(one, "?service=" + wanted);
      assertThat(filtered).isNotEmpty().allMatch(signal -> signal.service().equals(wanted));
      assertThat(filtered.get(0).traffic().requests()).isEqualTo(11);
      assertThat(get(one, "?scope=everywhere").statusCode()).isEqualTo(400);
      assertThat(rawStatusLine(one, "/api/signals?service=%zz"))
          .as("a malformed escape (no URI class builds it: sent by hand)")
          .startsWith("HTTP/1.1 400");
    } finally {
      instances.forEach(ProcessorService::close);
    }
  }

  private Set<String> services(ProcessorService instance, String query) {
    try {
      return signals(instance, query).stream()
          .map(GoldenSignal::service)
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private List<GoldenSignal> signals(ProcessorService instance, String query) throws Exception {
    HttpResponse<String> response = get(instance, query);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Vigil-Unreachable-Instances"))
        .as("instances that did not answer")
        .isEmpty();
    return Json.mapper().readValue(response.body(), SIGNALS);
  }

  /** The status line of a GET of {@code target} written by hand on a socket. */
  private static String rawStatusLine(ProcessorService instance, String target) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", instance.adminPort())) {
      socket
          .getOutputStream()
          .write(
              ("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
    }
  }

  private HttpResponse<String> get(ProcessorService instance, String query) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + instance.adminPort() + "/api/signals" + query))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("%s within %s", what, DEADLINE).isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }
}
