package io.vigil.alerting.dispatch;

import io.vigil.alerting.notify.Notification;
import io.vigil.model.alert.AlertTransition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the alert groups of its partitions in store {@value #STORE} and flushes them on the wall
 * clock ({@link Dispatcher}): at once when a transition arrives for a group that is due (a {@code
 * group_wait} of 0), otherwise from a punctuation every {@code tick}. Forwards each notification
 * keyed by group key, for {@code vigil.notifications.queue}.
 */
public final class DispatchProcessor implements Processor<String, Routed, String, Notification> {
  /** The group store. */
  public static final String STORE = "alert-groups";

  private final Dispatcher dispatcher;
  private final Supplier<Predicate<AlertTransition>> muted;
  private final Duration tick;
  private ProcessorContext<String, Notification> context;
  private KeyValueStore<String, AlertGroup> groups;

  /**
   * A processor flushing through {@code dispatcher}, asking {@code muted} (silences, inhibition) at
   * each flush, looking for due groups every {@code tick}.
   */
  public DispatchProcessor(
      Dispatcher dispatcher, Supplier<Predicate<AlertTransition>> muted, Duration tick) {
    this.dispatcher = dispatcher;
    this.muted = muted;
    this.tick = tick;
  }

  @Override
  public void init(ProcessorContext<String, Notification> context) {
    this.context = context;
    this.groups = context.getStateStore(STORE);
    context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::flushDue);
  }

  @Override
  public void process(Record<String, Routed> record) {
    long now = context.currentSystemTimeMs();
    Routed routed = record.value();
    AlertGroup group =
        dispatcher.insert(groups.get(record.key()), routed.destination(), routed.alert(), now);
    if (group.nextFlushAt() <= now) {
      flush(group, now, muted.get());
    } else {
      groups.put(record.key(), group);
    }
  }

  private void flushDue(long now) {
    List<AlertGroup> due = new ArrayList<>();
    try (KeyValueIterator<String, AlertGroup> all = groups.all()) {
      while (all.hasNext()) {
        KeyValue<String, AlertGroup> next = all.next();
        if (next.value.nextFlushAt() <= now) {
          due.add(next.value);
        }
      }
    }
    if (due.isEmpty()) {
      return;
    }
    Predicate<AlertTransition> mutes = muted.get();
    for (AlertGroup group : due) {
      flush(group, now, mutes);
    }
  }

  private void flush(AlertGroup group, long now, Predicate<AlertTransition> mutes) {
    Dispatcher.Flush flush = dispatcher.flush(group, now, mutes);
    if (flush.group() == null) {
      groups.delete(group.key());
    } else {
      groups.put(group.key(), flush.group());
    }
    if (flush.notification() != null) {
      context.forward(new Record<>(group.key(), flush.notification(), now));
    }
  }
}
