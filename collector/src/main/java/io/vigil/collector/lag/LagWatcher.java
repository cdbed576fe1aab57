package io.vigil.collector.lag;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.collector.sink.RecordSink;
import io.vigil.collector.sink.SinkRecord;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.ThrottlingLogger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the consumer groups' committed offsets and the partitions' end offsets of each configured
 * cluster every interval (Admin client), and stores per group one OTLP request on {@code
 * otlp_metrics} ({@link LagRecords}; several for a group too large for one record): {@code
 * kafka.consumer_group.lag} (messages) and {@code kafka.consumer_group.lag_seconds} (estimated,
 * {@link LagEstimator}) per topic and partition, {@code kafka.consumer_group.offset}, and {@code
 * kafka.consumer_group.lag_sum} per topic — the names of the OpenTelemetry Collector's kafkametrics
 * receiver, plus the estimate in seconds. The resource is the group: {@code service.name} and
 * {@code messaging.consumer.group.name} = group id, {@code kafka.cluster.name}, {@code
 * messaging.system} = kafka.
 */
public final class LagWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LagWatcher.class);

  private final RecordSink sink;
  private final ScheduledExecutorService timer;
  private final Counter rounds;
  private final ThrottlingLogger failures = new ThrottlingLogger(LOG);
  private final List<Watched> clusters = new ArrayList<>();

  /** One cluster with its admin client and its end-offset history. */
  private record Watched(LagSettings.Cluster settings, Admin admin, LagEstimator estimator) {}

  private LagWatcher(RecordSink sink, PrometheusRegistry registry) {
    this.sink = sink;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "vigil-lag-watcher");
              t.setDaemon(true);
              return t;
            });
    this.rounds =
        Counter.builder()
            .name("vigil_collector_lag_reads_total")
            .help("Reads of consumer-group offsets, by cluster and outcome (ok, failed)")
            .labelNames("cluster", "outcome")
            .register(registry);
  }

  /** Starts watching every cluster of {@code settings}. */
  public static LagWatcher start(
      LagSettings settings, RecordSink sink, PrometheusRegistry registry) {
    LagWatcher watcher = new LagWatcher(sink, registry);
    // One read of every group may take at most an interval, and never more than 30 s.
    int timeout = (int) Math.min(settings.interval().toMillis(), 30_000);
    for (LagSettings.Cluster cluster : settings.clusters()) {
      KafkaSettings kafka =
          new KafkaSettings(
              cluster.bootstrapServers(), null, null, null, null, null, cluster.overrides());
      Admin admin =
          Admin.create(
              kafka.admin(
                  Map.of(
                      AdminClientConfig.CLIENT_ID_CONFIG,
                      "vigil-collector-lag",
                      AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                      timeout,
                      AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                      timeout)));
      watcher.clusters.add(new Watched(cluster, admin, new LagEstimator()));
    }
    long interval = settings.interval().toMillis();
    watcher.timer.scheduleWithFixedDelay(watcher::readAll, 0, interval, TimeUnit.MILLISECONDS);
    LOG.info(
        "watching consumer-group lag of {} cluster(s) every {}",
        watcher.clusters.size(),
        settings.interval());
    return watcher;
  }

  private void readAll() {
    for (Watched cluster : clusters) {
      try {
        read(cluster);
        rounds.labelValues(cluster.settings().name(), "ok").inc();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          return;
        }
        rounds.labelValues(cluster.settings().name(), "failed").inc();
        failures.warn(
            "cannot read consumer-group lag of {}: {}", cluster.settings().name(), e.toString());
      }
    }
  }

  private void read(Watched cluster) throws Exception {
    Admin admin = cluster.admin();
    Set<String> wanted = new HashSet<>(cluster.settings().groups());
    List<String> groups = new ArrayList<>();
    for (GroupListing group : admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get()) {
      if (wanted.isEmpty() || wanted.contains(group.groupId())) {
        groups.add(group.groupId());
      }
    }
    Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = new TreeMap<>();
    Set<TopicPartition> partitions = new HashSet<>();
    for (String group : groups) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      offsets.values().removeIf(java.util.Objects::isNull);
      committed.put(group, offsets);
      partitions.addAll(offsets.keySet());
    }
    if (partitions.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin.listOffsets(latest).all().get();
    long now = System.currentTimeMillis();
    ends.forEach((p, info) -> cluster.estimator().end(p.toString(), now, info.offset()));
    Set<String> seen = new HashSet<>();
    ends.keySet().forEach(p -> seen.add(p.toString()));
    cluster.estimator().retain(seen);

    Map<TopicPartition, Long> endOffsets = new HashMap<>();
    ends.forEach((p, info) -> endOffsets.put(p, info.offset()));
    List<SinkRecord> records = new ArrayList<>();
    for (Map.Entry<String, Map<TopicPartition, OffsetAndMetadata>> group : committed.entrySet()) {
      records.addAll(
          LagRecords.of(
              cluster.settings().name(),
              cluster.estimator(),
              group.getKey(),
              group.getValue(),
              endOffsets,
              now));
    }
    sink.store(records).get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
    for (Watched cluster : clusters) {
      cluster.admin().close(Duration.ofSeconds(2));
    }
  }
}
