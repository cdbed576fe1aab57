package io.vigil.alerting.route;

import java.time.Instant;
import java.util.List;

/**
 * When a route sends nothing: inside any of its {@code mute_time_intervals}, or outside all of its
 * {@code active_time_intervals} when it has some. As in Alertmanager, a route does not inherit them
 * from its parent, and a flush inside them sends nothing and remembers nothing: the next flush
 * outside them notifies what changed since the last notification.
 *
 * @param mute the entries of the route's mute time intervals
 * @param active the entries of its active time intervals
 * @param activeGiven whether the route names active time intervals at all
 */
public record TimeMuting(List<TimeInterval> mute, List<TimeInterval> active, boolean activeGiven) {
  /** A route without time intervals. */
  public static final TimeMuting NONE = new TimeMuting(List.of(), List.of(), false);

  /** Freezes the lists. */
  public TimeMuting {
    mute = List.copyOf(mute);
    active = List.copyOf(active);
  }

  /** Whether the route sends nothing at {@code now}. */
  public boolean mutes(Instant now) {
    if (mute.stream().anyMatch(i -> i.contains(now))) {
      return true;
    }
    return activeGiven && active.stream().noneMatch(i -> i.contains(now));
  }
}
