package io.vigil.alerting;

import io.vigil.alerting.dispatch.AlertGroup;
import io.vigil.alerting.dispatch.DispatchProcessor;
import io.vigil.alerting.dispatch.Dispatcher;
import io.vigil.alerting.dispatch.ExternalAlertsProcessor;
import io.vigil.alerting.dispatch.Routed;
import io.vigil.alerting.notify.Notification;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.AlertState;
import io.vigil.alerting.rules.EvaluateProcessor;
import io.vigil.alerting.rules.Learned;
import io.vigil.alerting.rules.LogEvaluateProcessor;
import io.vigil.alerting.rules.LogWindow;
import io.vigil.alerting.rules.Samples;
import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.kafka.JsonSerde;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The alert engine's decisions as one Kafka Streams topology, exactly-once:
 *
 * <pre>
 * vigil.signals.live  ─▶ evaluate (stores alert-rules-signals, …-learned)   ─┐
 * vigil.pipeline-runs ─▶ evaluate (stores alert-rules-pipelines, …-learned) ─┤
 * vigil.logs (only with log-pattern rules) ─▶ match, count (alert-rules-logs, …-windows) ─┤
 * vigil.alerts.external (POST /api/v2/alerts) ─────────────────────────────┴▶ transitions ─▶ vigil.alerts
 * transitions ─▶ route (one record per group) ─▶ repartition by group key
 *             ─▶ dispatch (store alert-groups; wall-clock flushes) ─▶ vigil.notifications.queue
 * unreadable input ─▶ vigil.dlq
 * </pre>
 *
 * Evaluation is keyed by series (the input topics' keys); dispatch by group, so each group's timers
 * and notification state live in one task, which another instance takes over on rebalance.
 */
public final class AlertingTopology {
  /** Store of rule state for live golden signals. */
  public static final String SIGNALS_STORE = "alert-rules-signals";

  /** Store of rule state for pipeline runs. */
  public static final String PIPELINES_STORE = "alert-rules-pipelines";

  /** Store of rule state for log-pattern rules (their sliding counts: {@code …-windows}). */
  public static final String LOGS_STORE = "alert-rules-logs";

  /** How often due groups are looked for. */
  static final Duration DISPATCH_TICK = Duration.ofMillis(50);

  private AlertingTopology() {}

  /**
   * The topology evaluating with {@code evaluator}, dispatching with {@code dispatcher}, asking
   * {@code muted} which firing alerts are silenced or inhibited at each flush.
   */
  public static Topology build(
      AlertEvaluator evaluator,
      Dispatcher dispatcher,
      Supplier<Predicate<AlertTransition>> muted,
      AlertingMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    JsonSerde<AlertTransition> alerts = JsonSerde.of(AlertTransition.class);
    EvaluateProcessor.Counters counters = metrics.evaluationCounters();
    Deserializer<GoldenSignal> signalReader = JsonSerde.of(GoldenSignal.class).deserializer();
    Deserializer<PipelineRun> runReader = JsonSerde.of(PipelineRun.class).deserializer();

    KStream<String, AlertTransition> fromSignals =
        evaluate(
            builder,
            "signals",
            Topics.SIGNALS_LIVE,
            SIGNALS_STORE,
            "invalid_signal",
            value -> Samples.of(signalReader.deserialize(Topics.SIGNALS_LIVE, value)),
            evaluator,
            counters);
    KStream<String, AlertTransition> fromPipelines =
        evaluate(
            builder,
            "pipelines",
            Topics.PIPELINE_RUNS,
            PIPELINES_STORE,
            "invalid_pipeline_run",
            value -> Samples.of(runReader.deserialize(Topics.PIPELINE_RUNS, value)),
            evaluator,
            counters);
    KStream<String, AlertTransition> evaluated =
        fromSignals.merge(fromPipelines, Named.as("evaluated"));
    if (evaluator.logRules().any()) {
      // Read only when a rule needs it: every log line of every cluster flows through vigil.logs.
      evaluated =
          evaluated.merge(logPatterns(builder, evaluator, counters), Named.as("evaluated-logs"));
    }
    KStream<String, Object> external =
        builder.stream(
                Topics.ALERTS_EXTERNAL,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("external-source"))
            .process(
                () -> new ExternalAlertsProcessor(metrics::rejected), Named.as("external-read"));
    KStream<String, AlertTransition> transitions =
        evaluated.merge(
            DeadLetterRoute.route(external, "external", AlertTransition.class),
            Named.as("transitions"));
    transitions.to(Topics.ALERTS, Produced.with(Serdes.String(), alerts).withName("alerts-sink"));

    // Dispatch takes the transitions straight from evaluation: reading vigil.alerts back would
    // cost one more exactly-once commit on every alert's way to Slack.
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(DispatchProcessor.STORE),
            Serdes.String(),
            JsonSerde.of(AlertGroup.class)));
    transitions
        .flatMap(
            (fingerprint, alert) ->
                dispatcher.route(alert.labels()).stream()
                    .map(to -> KeyValue.pair(to.groupKey(), Routed.of(to, alert)))
                    .toList(),
            Named.as("route"))
        .repartition(
            Repartitioned.with(Serdes.String(), JsonSerde.of(Routed.class))
                .withName("alert-groups"))
        .process(
            () -> new DispatchProcessor(dispatcher, muted, DISPATCH_TICK),
            Named.as("dispatch"),
            DispatchProcessor.STORE)
        .to(
            Topics.NOTIFICATION_QUEUE,
            Produced.with(Serdes.String(), JsonSerde.of(Notification.class))
                .withName("notifications-sink"));
    return builder.build();
  }

  /**
   * Counts the lines of {@code vigil.logs} that log-pattern rules match and evaluates those rules,
   * state in {@link #LOGS_STORE} and its windows store; unreadable records go to the DLQ as {@code
   * invalid_log}.
   */
  private static KStream<String, AlertTransition> logPatterns(
      StreamsBuilder builder, AlertEvaluator evaluator, EvaluateProcessor.Counters counters) {
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(LOGS_STORE),
            Serdes.String(),
            JsonSerde.of(AlertState.class)));
    String windows = LogEvaluateProcessor.windowsStore(LOGS_STORE);
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(windows), Serdes.String(), JsonSerde.of(LogWindow.class)));
    Deserializer<LogRecord> reader = JsonSerde.of(LogRecord.class).deserializer();
    KStream<String, Object> evaluated =
        builder.stream(
                Topics.LOGS,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("logs-source"))
            .process(
                () ->
                    new LogEvaluateProcessor(evaluator, Topics.LOGS, LOGS_STORE, reader, counters),
                Named.as("logs-evaluate"),
                LOGS_STORE,
                windows);
    return DeadLetterRoute.route(evaluated, "logs", AlertTransition.class);
  }

  /**
   * Evaluates the rules on {@code topic}, read by {@code reader}, with its state in {@code store};
   * unreadable records go to the DLQ as {@code invalidReason}. Processor names start with {@code
   * name}.
   */
  private static KStream<String, AlertTransition> evaluate(
      StreamsBuilder builder,
      String name,
      String topic,
      String store,
      String invalidReason,
      EvaluateProcessor.SampleReader reader,
      AlertEvaluator evaluator,
      EvaluateProcessor.Counters counters) {
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(store), Serdes.String(), JsonSerde.of(AlertState.class)));
    String learned = EvaluateProcessor.learnedStore(store);
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(learned), Serdes.String(), JsonSerde.of(Learned.class)));
    KStream<String, Object> evaluated =
        builder.stream(
                topic,
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(name + "-source"))
            .process(
                () ->
                    new EvaluateProcessor(evaluator, topic, store, invalidReason, reader, counters),
                Named.as(name + "-evaluate"),
                store,
                learned);
    return DeadLetterRoute.route(evaluated, name, AlertTransition.class);
  }
}
