package io.vigil.processor;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;
import io.vigil.model.config.Durations;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.kafka.StreamsDefaults;
import io.vigil.model.runtime.AdminSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the processor service, loaded with {@code ConfigLoader.load(yaml, env,
 * ProcessorConfig.class)}.
 *
 * @param kafka broker address, topic creation and raw Kafka Streams {@code overrides} (applied
 *     last, they win over every value Vigil sets); default {@code 127.0.0.1:9092}
 * @param applicationId Kafka Streams {@code application.id}: consumer group, prefix of internal
 *     topics; default {@value #DEFAULT_APPLICATION_ID}
 * @param stateDir where the local state stores live; default {@code
 *     ${java.io.tmpdir}/vigil-processor}
 * @param window size of the final windows and of the live trailing window, a whole number of
 *     seconds; default 10s
 * @param grace how long (wall clock) after a window's end it waits for data before it is emitted;
 *     data later than that goes out as a late supplement; default 5s
 * @param emitInterval the shortest time between two live signals of one series; default 500ms
 * @param maxClockSkew a point further than this from the time its record reached Kafka is counted
 *     at that time instead (a sender with a wrong clock); default 2m
 * @param pipelines the data journey's timing (overdue runs, freshness records)
 * @param admin admin endpoint ({@code /metrics}, {@code /healthz}, {@code /readyz}, {@code
 *     /api/signals}); default {@code 0.0.0.0:8889}
 * @param catalog the catalog file of expectations (team, tier, expected duration, freshness target)
 *     published to {@code vigil.catalog}; default none
 * @param maxOperationsPerService how many operations (HTTP route, RPC method) of one service get
 *     series of their own; the requests of further ones are counted in the service's {@code
 *     (overflow)} operation; 0 = no per-operation series; default {@value
 *     #DEFAULT_MAX_OPERATIONS_PER_SERVICE}
 * @param webConfigFile TLS and authentication of the admin port ({@code /metrics}, {@code
 *     /api/signals}; the probes stay open), in the format of Prometheus' and Alertmanager's {@code
 *     --web.config.file}, relative paths in it resolved from its directory; default none
 */
public record ProcessorConfig(
    @JsonProperty("kafka") KafkaSettings kafka,
    @JsonProperty("application_id") String applicationId,
    @JsonProperty("state_dir") String stateDir,
    @JsonProperty("window") Duration window,
    @JsonProperty("grace") Duration grace,
    @JsonProperty("emit_interval") Duration emitInterval,
    @JsonProperty("max_clock_skew") Duration maxClockSkew,
    @JsonProperty("pipelines") PipelineSettings pipelines,
    @JsonProperty("admin") AdminSettings admin,
    @JsonProperty("catalog") CatalogSettings catalog,
    @JsonProperty("max_operations_per_service") Integer maxOperationsPerService,
    @JsonProperty("web_config_file") String webConfigFile) {

  /** Default Kafka Streams application id. */
  public static final String DEFAULT_APPLICATION_ID = "vigil-processor";

  /** Default admin port of the processor. */
  public static final int DEFAULT_ADMIN_PORT = 8889;

  /** Default window size. */
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);

  /** Default grace period. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

  /** Default shortest time between two live signals of one series. */
  public static final Duration DEFAULT_EMIT_INTERVAL = Duration.ofMillis(500);

  /** Default limit of per-operation series per service. */
  public static final int DEFAULT_MAX_OPERATIONS_PER_SERVICE = 100;

  /** Default largest accepted distance between a point's time and its record's. */
  public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(2);

  // Kafka's own rule for application.id (it becomes part of topic names).
  private static final Pattern APPLICATION_ID = Pattern.compile("[a-zA-Z0-9._-]+");

  /** Applies defaults and validates every value. */
  public ProcessorConfig {
    if (kafka == null) {
      kafka = KafkaSettings.defaults();
    }
    if (applicationId == null) {
      applicationId = DEFAULT_APPLICATION_ID;
    }
    if (!APPLICATION_ID.matcher(applicationId).matches()) {
      throw new ConfigException(
          "processor.application_id", applicationId, "must match [a-zA-Z0-9._-]+");
    }
    if (stateDir == null || stateDir.isBlank()) {
      stateDir = Path.of(System.getProperty("java.io.tmpdir"), "vigil-processor").toString();
    }
    if (window == null) {
      window = DEFAULT_WINDOW;
    }
    if (window.isNegative() || window.isZero()) {
      throw new ConfigException("processor.window", Durations.format(window), "must be > 0");
    }
    if (window.toMillis() % 1000 != 0) {
      // GoldenSignal.window.seconds is a whole number; a 1.5s window could not be described.
      throw new ConfigException(
          "processor.window", Durations.format(window), "must be a whole number of seconds");
    }
    if (grace == null) {
      grace = DEFAULT_GRACE;
    }
    if (grace.isNegative()) {
      throw new ConfigException("processor.grace", grace, "must be >= 0");
    }
    if (emitInterval == null) {
      emitInterval = DEFAULT_EMIT_INTERVAL;
    }
    if (emitInterval.toMillis() < 10) {
      throw new ConfigException(
          "processor.emit_interval", Durations.format(emitInterval), "must be >= 10ms");
    }
    if (maxClockSkew == null) {
      maxClockSkew = DEFAULT_MAX_CLOCK_SKEW;
    }
    if (maxClockSkew.toMillis() < 1000) {
      throw new ConfigException(
          "processor.max_clock_skew", Durations.format(maxClockSkew), "must be >= 1s");
    }
    if (pipelines == null) {
      pipelines = PipelineSettings.defaults();
    }
    if (admin == null) {
      admin = AdminSettings.defaults();
    }
    if (catalog == null) {
      catalog = CatalogSettings.defaults();
    }
    if (maxOperationsPerService == null) {
      maxOperationsPerService = DEFAULT_MAX_OPERATIONS_PER_SERVICE;
    }
    if (maxOperationsPerService < 0) {
      throw new ConfigException(
          "processor.max_operations_per_service", maxOperationsPerService, "must be >= 0");
    }
    if (webConfigFile != null && webConfigFile.isBlank()) {
      throw new ConfigException("processor.web_config_file", webConfigFile, "must be a path");
    }
  }

  /** A configuration with the default limit of operations per service. */
  public ProcessorConfig(
      KafkaSettings kafka,
      String applicationId,
      String stateDir,
      Duration window,
      Duration grace,
      Duration emitInterval,
      Duration maxClockSkew,
      PipelineSettings pipelines,
      AdminSettings admin,
      CatalogSettings catalog) {
    this(
        kafka,
        applicationId,
        stateDir,
        window,
        grace,
        emitInterval,
        maxClockSkew,
        pipelines,
        admin,
        catalog,
        null,
        null);
  }

  /** The same configuration with another limit of operations per service. */
  public ProcessorConfig withMaxOperationsPerService(int max) {
    return new ProcessorConfig(
        kafka,
        applicationId,
        stateDir,
        window,
        grace,
        emitInterval,
        maxClockSkew,
        pipelines,
        admin,
        catalog,
        max,
        webConfigFile);
  }

  /** A configuration without a catalog file. */
  public ProcessorConfig(
      KafkaSettings kafka,
      String applicationId,
      String stateDir,
      Duration window,
      Duration grace,
      Duration emitInterval,
      Duration maxClockSkew,
      PipelineSettings pipelines,
      AdminSettings admin) {
    this(
        kafka,
        applicationId,
        stateDir,
        window,
        grace,
        emitInterval,
        maxClockSkew,
        pipelines,
        admin,
        null);
  }

  /** Every value defaulted. */
  public static ProcessorConfig defaults() {
    return new ProcessorConfig(
        null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** The admin port to bind: the configured one, else {@value #DEFAULT_ADMIN_PORT}. */
  public int adminPort() {
    return admin.portOr(DEFAULT_ADMIN_PORT);
  }

  /**
   * Kafka Streams settings: Vigil's exactly-once defaults ({@link StreamsDefaults}), the
   * dead-letter deserialization handler, then the user's {@code kafka.streams}.
   */
  public Properties streamsProperties() {
    Map<String, Object> base = StreamsDefaults.exactlyOnce(applicationId, stateDir);
    base.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    return kafka.streams(base);
  }
}
