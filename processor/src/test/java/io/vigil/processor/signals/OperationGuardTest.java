package io.vigil.processor.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.kafka.JsonSerde;
import io.vigil.processor.ProcessorMetrics;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cardinality guard against a real in-memory store, as one task sees it: requests admitting
 * their operations, the store's entry written once per request, and a guard started again on the
 * same store (a task that moved or restarted) keeping the limit and evicting what the first saw.
 */
class OperationGuardTest {
  private static final long T0 = 1_800_000_000_000L;
  private static final String CHECKOUT = "c1/shop/checkout/";

  private final ProcessorMetrics metrics = ProcessorMetrics.unexported();
  private KeyValueStore<String, OperationGuard.Known> store;

  /** Entries encoded for the store (each also a changelog record in the topology). */
  private int writes;

  @BeforeEach
  void store() {
    Serde<OperationGuard.Known> json = JsonSerde.of(OperationGuard.Known.class);
    Serializer<OperationGuard.Known> counting =
        (topic, known) -> {
          writes++;
          return json.serializer().serialize(topic, known);
        };
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("operations"),
                Serdes.String(),
                Serdes.serdeFrom(counting, json.deserializer()))
            .withLoggingDisabled()
            .build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
  }

  /** What one request of {@code operations} of checkout at {@code now} is admitted as. */
  private static String request(OperationGuard guard, long now, String... operations) {
    StringBuilder as = new StringBuilder();
    for (String operation : operations) {
      as.append(as.length() == 0 ? "" : ",").append(guard.admit(CHECKOUT, operation, 2, now));
    }
    guard.save(CHECKOUT);
    return as.toString();
  }

  private static String[] routes(int n) {
    String[] routes = new String[n];
    for (int i = 0; i < n; i++) {
      routes[i] = "GET /r" + i;
    }
    return routes;
  }

  @Test
  void aRequestWritesItsServiceOnceHoweverManyOperationsItTaught() {
    OperationGuard guard = new OperationGuard(store, 100, metrics);

    request(guard, T0, routes(50));
    assertThat(writes).as("fifty new operations, one entry written").isEqualTo(1);
    assertThat(store.get(CHECKOUT).lastSeen()).hasSize(50).containsValue(T0);

    request(guard, T0 + 10_000, routes(50));
    assertThat(writes).as("seen again within the minute: nothing to write").isEqualTo(1);

    long later = T0 + Duration.ofMinutes(1).toMillis();
    request(guard, later, routes(50));
    assertThat(writes).as("all fifty due a refresh, one entry written").isEqualTo(2);
    assertThat(store.get(CHECKOUT).lastSeen().values()).containsOnly(later);
  }

  @Test
  void aGuardStartedOnTheSameStoreKeepsTheLimit() {
    request(new OperationGuard(store, 2, metrics), T0, "GET /a", "GET /b");

    OperationGuard restarted = new OperationGuard(store, 2, metrics);
    assertThat(request(restarted, T0 + 5_000, "GET /c", "GET /a"))
        .isEqualTo(OperationGuard.OVERFLOW + ",GET /a");
    assertThat(metrics.dataPointsAdjusted("operation_overflow")).isEqualTo(2);
  }

  @Test
  void evictionForgetsWhatWentUnseenAndFreesItsPlace() {
    OperationGuard first = new OperationGuard(store, 2, metrics);
    request(first, T0, "GET /a");
    long halfHour = T0 + Duration.ofMinutes(30).toMillis();
    request(first, halfHour, "GET /b");

    OperationGuard restarted = new OperationGuard(store, 2, metrics);
    restarted.evict(T0 + 1);
    assertThat(store.get(CHECKOUT).lastSeen()).containsOnlyKeys("GET /b");
    assertThat(request(restarted, halfHour + 1_000, "GET /c")).isEqualTo("GET /c");

    restarted.evict(halfHour + 2_000);
    assertThat(store.get(CHECKOUT)).as("nothing left: the entry goes").isNull();
    assertThat(request(restarted, halfHour + 3_000, "GET /d", "GET /e")).isEqualTo("GET /d,GET /e");
  }
}
