package io.vigil.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.core.metrics.Counter;
import io.vigil.alerting.notify.Alerts;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class NotificationLogTest {
  private static final Instant NOW = Instant.parse("2024-05-02T00:00:00Z");
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final Counter writes = Counter.builder().name("writes").labelNames("outcome").build();
  private final NotificationLog log =
      new NotificationLog(producer, writes, Duration.ofHours(24), Clock.fixed(NOW, ZoneOffset.UTC));

  private static final AlertTransition FIRING = Alerts.firing("s");
  private static final String KEY = NotificationLog.key(FIRING.fingerprint(), "oncall", "slack[0]");

  @Test
  void nothingLoggedIsSent() {
    assertThat(log.alreadySent(KEY, FIRING)).isFalse();
  }

  @Test
  void skipsTheSameStateOfTheSameOccurrenceOnly() throws Exception {
    log.delivered("oncall", "slack[0]", FIRING);

    assertThat(log.alreadySent(KEY, FIRING)).isTrue();
    assertThat(log.alreadySent(KEY, Alerts.resolved())).isFalse();
    assertThat(log.alreadySent(KEY.replace("slack", "email"), FIRING)).isFalse();
    assertThat(log.alreadySent(KEY, refiredAt(FIRING.startsAt().plusSeconds(600)))).isFalse();
  }

  @Test
  void aFiringOfAnOccurrenceAlreadyResolvedIsStale() throws Exception {
    log.delivered("oncall", "slack[0]", Alerts.resolved());

    assertThat(log.alreadySent(KEY, Alerts.resolved())).isTrue();
    assertThat(log.alreadySent(KEY, FIRING)).isTrue();
  }

  @Test
  void writesTheEntryKeyedByFingerprintReceiverAndIntegration() throws Exception {
    log.delivered("oncall", "slack[0]", FIRING);

    assertThat(producer.history()).hasSize(1);
    ProducerRecord<byte[], byte[]> record = producer.history().get(0);
    assertThat(record.topic()).isEqualTo(Topics.NOTIFICATIONS);
    assertThat(new String(record.key(), StandardCharsets.UTF_8))
        .isEqualTo("0123456789abcdef/oncall/slack[0]");
    assertThat(Json.mapper().readTree(record.value()).toString())
        .isEqualTo(
            "{\"fingerprint\":\"0123456789abcdef\",\"receiver\":\"oncall\","
                + "\"integration\":\"slack[0]\",\"state\":\"firing\","
                + "\"startsAt\":\"2024-05-01T12:00:10Z\",\"sentAt\":\"2024-05-02T00:00:00Z\"}");
    assertThat(writes.labelValues("written").get()).isEqualTo(1);
  }

  @Test
  void replayedEntriesDeduplicateAndOldOnesAreForgotten() throws Exception {
    log.delivered("oncall", "slack[0]", FIRING);
    byte[] value = producer.history().get(0).value();
    NotificationLog fresh = restarted(NOW.plus(Duration.ofHours(1)));
    fresh.load(replayed(value));
    assertThat(fresh.alreadySent(KEY, FIRING)).isTrue();

    NotificationLog later = restarted(NOW.plus(Duration.ofHours(25)));
    later.load(replayed(value));
    assertThat(later.alreadySent(KEY, FIRING)).isFalse();

    fresh.load(new ConsumerRecord<>(Topics.NOTIFICATIONS, 0, 1, key(), null));
    assertThat(fresh.alreadySent(KEY, FIRING)).as("tombstone").isFalse();
    fresh.load(replayed("not json".getBytes(StandardCharsets.UTF_8)));
    assertThat(fresh.size()).isZero();
  }

  private NotificationLog restarted(Instant now) {
    return new NotificationLog(
        null, writes, Duration.ofHours(24), Clock.fixed(now, ZoneOffset.UTC));
  }

  private static byte[] key() {
    return KEY.getBytes(StandardCharsets.UTF_8);
  }

  private static ConsumerRecord<byte[], byte[]> replayed(byte[] value) {
    return new ConsumerRecord<>(Topics.NOTIFICATIONS, 0, 0, key(), value);
  }

  private static AlertTransition refiredAt(Instant startsAt) {
    return new AlertTransition(
        FIRING.fingerprint(),
        FIRING.rule(),
        FIRING.state(),
        FIRING.severity(),
        FIRING.labels(),
        FIRING.annotations(),
        FIRING.value(),
        startsAt,
        null,
        FIRING.generatorUrl());
  }
}
