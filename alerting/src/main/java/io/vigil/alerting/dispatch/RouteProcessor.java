package io.vigil.alerting.dispatch;

import io.vigil.model.Topics;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.kafka.DeadLetterRoute;
import io.vigil.model.runtime.ThrottlingLogger;
import java.util.function.Consumer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code vigil.alerts} and forwards each transition once per group it belongs to ({@link
 * Routed}, keyed by group key); a record that is not a transition is forwarded as a {@link
 * DeadLetterRoute.Invalid}.
 */
public final class RouteProcessor implements Processor<byte[], byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(RouteProcessor.class);

  private final Dispatcher dispatcher;
  private final Consumer<String> rejected;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private ProcessorContext<String, Object> context;

  /** Routes with {@code dispatcher}; counts rejects by reason through {@code rejected}. */
  public RouteProcessor(Dispatcher dispatcher, Consumer<String> rejected) {
    this.dispatcher = dispatcher;
    this.rejected = rejected;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (record.value() == null) {
      context.forward(
          DeadLetterRoute.reject(
              record, Topics.ALERTS, "empty_value", "record has no value", rejected, throttled));
      return;
    }
    AlertTransition alert;
    try {
      alert = Json.mapper().readValue(record.value(), AlertTransition.class);
    } catch (Exception e) {
      context.forward(
          DeadLetterRoute.reject(
              record, Topics.ALERTS, "invalid_alert", e.getMessage(), rejected, throttled));
      return;
    }
    for (Dispatcher.Destination to : dispatcher.route(alert.labels())) {
      context.forward(new Record<>(to.groupKey(), Routed.of(to, alert), record.timestamp()));
    }
  }
}
