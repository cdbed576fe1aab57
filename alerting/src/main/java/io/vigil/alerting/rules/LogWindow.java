package io.vigil.alerting.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sliding count of one (log-pattern rule, series), as kept in the log-count store (JSON): the
 * matching lines of the rule's range in 60 slots of {@code range/60} by line time, and the latest
 * matching line. A line counts from its time until the end of its slot is a range old, so a count
 * falls up to one slot (5 s of a 5 m range) after Loki's would; memory per series stays bounded
 * however many lines match.
 *
 * @param labels the series' labels
 * @param slots lines per slot, by the slot's start (epoch milliseconds)
 * @param line the latest matching line's message, at most {@link #MAX_LINE} characters
 * @param lineAt that line's time
 */
public record LogWindow(
    @JsonProperty("labels") Map<String, String> labels,
    @JsonProperty("slots") Map<Long, Long> slots,
    @JsonProperty("line") String line,
    @JsonProperty("lineAt") Instant lineAt) {

  /** The longest message kept (and shown as {@code {{ $line }}}); longer ones end with "…". */
  static final int MAX_LINE = 300;

  private static final int SLOTS = 60;

  /** Freezes the maps. */
  public LogWindow {
    labels = Map.copyOf(labels);
    slots = Map.copyOf(slots == null ? Map.of() : slots);
    line = line == null ? "" : line;
  }

  /** An empty window of the series {@code labels}. */
  static LogWindow of(Map<String, String> labels) {
    return new LogWindow(labels, Map.of(), "", null);
  }

  /** The width of a slot for {@code range}. */
  static long slotMillis(Duration range) {
    return Math.max(1, range.toMillis() / SLOTS);
  }

  /** The lines counted at {@code now} over {@code range}. */
  long count(Instant now, Duration range) {
    long width = slotMillis(range);
    long from = now.toEpochMilli() - range.toMillis();
    long count = 0;
    for (Map.Entry<Long, Long> slot : slots.entrySet()) {
      if (slot.getKey() + width > from) {
        count += slot.getValue();
      }
    }
    return count;
  }

  /**
   * This window with one more line, {@code message} at {@code at}, counted over {@code range};
   * slots that no longer count at {@code now} are dropped.
   */
  LogWindow add(Instant at, String message, Duration range, Instant now) {
    long width = slotMillis(range);
    long from = now.toEpochMilli() - range.toMillis();
    Map<Long, Long> next = new TreeMap<>();
    slots.forEach(
        (start, n) -> {
          if (start + width > from) {
            next.put(start, n);
          }
        });
    long start = Math.floorDiv(at.toEpochMilli(), width) * width;
    next.merge(start, 1L, Long::sum);
    boolean latest = lineAt == null || !at.isBefore(lineAt);
    return new LogWindow(labels, next, latest ? truncate(message) : line, latest ? at : lineAt);
  }

  static String truncate(String message) {
    String m = message == null ? "" : message.strip();
    if (m.length() <= MAX_LINE) {
      return m;
    }
    int end = MAX_LINE - 1;
    if (Character.isHighSurrogate(m.charAt(end - 1))) {
      end--;
    }
    return m.substring(0, end) + "…";
  }
}
