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
 * Reads the alerts posted through the API ({@code vigil.alerts.external}) and forwards each as a
 * transition keyed by fingerprint; a record that is not one is forwarded as a {@link
 * DeadLetterRoute.Invalid}.
 */
public final class ExternalAlertsProcessor implements Processor<byte[], byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(ExternalAlertsProcessor.class);

  private final Consumer<String> rejected;
  private final ThrottlingLogger throttled = new ThrottlingLogger(LOG);
  private ProcessorContext<String, Object> context;

  /** Counts rejects by reason through {@code rejected}. */
  public ExternalAlertsProcessor(Consumer<String> rejected) {
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
              record,
              Topics.ALERTS_EXTERNAL,
              "empty_value",
              "record has no value",
              rejected,
              throttled));
      return;
    }
    AlertTransition alert;
    try {
      alert = Json.mapper().readValue(record.value(), AlertTransition.class);
    } catch (Exception e) {
      context.forward(
          DeadLetterRoute.reject(
              record,
              Topics.ALERTS_EXTERNAL,
              "invalid_alert",
              e.getMessage(),
              rejected,
              throttled));
      return;
    }
    context.forward(new Record<>(alert.fingerprint(), alert, record.timestamp()));
  }
}
