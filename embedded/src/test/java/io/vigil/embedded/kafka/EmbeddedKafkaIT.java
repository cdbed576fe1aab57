package io.vigil.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

  @Test
  void roundTripsARecordThroughTheBroker() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");
      kafka.createTopics(3, "roundtrip");
      kafka.createTopics(3, "roundtrip"); // existing topics are left alone

      try (Admin admin = Admin.create(kafka.clientProperties())) {
        assertThat(admin.describeTopics(Set.of("roundtrip")).allTopicNames().get())
            .hasEntrySatisfying("roundtrip", d -> assertThat(d.partitions()).hasSize(3));
      }

      Properties producerProps = kafka.clientProperties();
      producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
        producer.send(new ProducerRecord<>("roundtrip", "checkout", "hello")).get();
      }

      Properties consumerProps = kafka.clientProperties();
      consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "it");
      consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
      consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
      List<ConsumerRecord<String, String>> received = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
        consumer.subscribe(List.of("roundtrip"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (received.isEmpty() && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(200)).forEach(received::add);
        }
        consumer.commitSync();
      }
      assertThat(received)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.key()).isEqualTo("checkout");
                assertThat(r.value()).isEqualTo("hello");
              });
    }
  }

  @Test
  void honoursAFixedPortAndFreesItOnClose() throws Exception {
    int port = freePort();
    Path dataDir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(port)) {
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
      try (Admin admin = Admin.create(kafka.clientProperties())) {
        assertThat(admin.describeCluster().nodes().get())
            .singleElement()
            .satisfies(
                n -> {
                  assertThat(n.host()).isEqualTo("127.0.0.1");
                  assertThat(n.port()).isEqualTo(port);
                });
      }
      dataDir = kafka.dataDirectory();
      assertThat(dataDir).isDirectory();
    }
    // The port is free again and the data directory is gone.
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
    }
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void aDataDirectoryKeepsRecordsOffsetsAndTransactionsAcrossARestart(@TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("kafka");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(0, data)) {
      kafka.createTopics(3, "kept");
      Properties producerProps = kafka.clientProperties();
      producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kept-writer");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
        producer.initTransactions();
        producer.beginTransaction();
        for (int i = 0; i < 50; i++) {
          producer.send(new ProducerRecord<>("kept", "k" + i, "v" + i));
        }
        producer.commitTransaction();
      }
      assertThat(readCommitted(kafka, "first-reader", 20)).hasSize(20);
    }
    assertThat(data).isDirectory();

    try (EmbeddedKafka kafka = EmbeddedKafka.start(0, data)) {
      // The group carries on after its commit; a new group sees every record.
      assertThat(readCommitted(kafka, "first-reader", 30)).hasSize(30);
      assertThat(readCommitted(kafka, "second-reader", 50))
          .extracting(ConsumerRecord::value)
          .containsExactlyInAnyOrderElementsOf(
              java.util.stream.IntStream.range(0, 50).mapToObj(i -> "v" + i).toList());
      // The transactional id's epoch survived: a new producer with it starts and commits.
      Properties producerProps = kafka.clientProperties();
      producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
      producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "kept-writer");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("kept", "k50", "v50"));
        producer.commitTransaction();
      }
      assertThat(readCommitted(kafka, "first-reader", 1))
          .singleElement()
          .satisfies(r -> assertThat(r.value()).isEqualTo("v50"));
    }
  }

  /** Reads {@code count} records as group {@code group} (read_committed) and commits them. */
  private static List<ConsumerRecord<String, String>> readCommitted(
      EmbeddedKafka kafka, String group, int count) {
    Properties consumerProps = kafka.clientProperties();
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    List<ConsumerRecord<String, String>> received = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
      consumer.subscribe(List.of("kept"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (received.size() < count && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(received::add);
        consumer.commitSync();
      }
    }
    return received;
  }

  @Test
  void failsClearlyWhenThePortIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      assertThatThrownBy(() -> EmbeddedKafka.start(taken.getLocalPort()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      return socket.getLocalPort();
    }
  }
}
