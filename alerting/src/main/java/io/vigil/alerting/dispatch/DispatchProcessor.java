package io.vigil.alerting.dispatch;

import io.vigil.alerting.notify.Notification;
import io.vigil.model.alert.AlertTransition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
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
  private final Map<String, Long> nextFlush = new HashMap<>();

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
    // The store holds serialized groups: the tick reads when each is due from this index (built
    // once from the restored store, kept with every write) instead of decoding every group.
    try (KeyValueIterator<String, AlertGroup> all = groups.all()) {
      all.forEachRemaining(kv -> nextFlush.put(kv.key, kv.value.nextFlushAt()));
    }
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
      put(group);
    }
  }

  private void flushDue(long now) {
    List<String> due = new ArrayList<>();
    nextFlush.forEach(
        (key, at) -> {
          if (at <= now) {
            due.add(key);
          }
        });
    if (due.isEmpty()) {
      return;
    }
    Predicate<AlertTransition> mutes = muted.get();
    for (String key : due) {
      AlertGroup group = groups.get(key);
      if (group == null) {
        nextFlush.remove(key);
      } else {
        flush(group, now, mutes);
      }
    }
  }

  private void put(AlertGroup group) {
    groups.put(group.key(), group);
    nextFlush.put(group.key(), group.nextFlushAt());
  }

  private void flush(AlertGroup group, long now, Predicate<AlertTransition> mutes) {
    Dispatcher.Flush flush = dispatcher.flush(group, now, mutes);
    if (flush.group() == null) {
      groups.delete(group.key());
      nextFlush.remove(group.key());
    } else {
      put(flush.group());
    }
    if (flush.notification() != null) {
      context.forward(new Record<>(group.key(), flush.notification(), now));
    }
  }
}
