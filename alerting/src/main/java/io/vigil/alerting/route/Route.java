package io.vigil.alerting.route;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A node of the Alertmanager routing tree, with the values a child inherits from its parent ({@code
 * receiver}, {@code group_by}, the intervals) already filled in.
 *
 * @param receiver receiver name
 * @param matchers all must match ({@code matchers}, {@code match} and {@code match_re} combined)
 * @param groupBy labels to group by (kept for the grouping issue; not used yet)
 * @param groupByAll {@code group_by: ['...']}
 * @param groupWait kept, not used yet
 * @param groupInterval kept, not used yet
 * @param repeatInterval kept, not used yet
 * @param continueMatching keep matching later siblings after this node matched
 * @param routes child nodes, tried in order
 * @param timeMuting when the route sends nothing ({@code mute_time_intervals}, {@code
 *     active_time_intervals}); not inherited
 */
public record Route(
    String receiver,
    List<Matcher> matchers,
    List<String> groupBy,
    boolean groupByAll,
    Duration groupWait,
    Duration groupInterval,
    Duration repeatInterval,
    boolean continueMatching,
    List<Route> routes,
    TimeMuting timeMuting) {

  /** Freezes the lists. */
  public Route {
    matchers = List.copyOf(matchers);
    groupBy = List.copyOf(groupBy);
    routes = List.copyOf(routes);
  }

  /** Whether this node's own matchers accept {@code labels}. */
  public boolean matches(Map<String, String> labels) {
    for (Matcher m : matchers) {
      if (!m.matches(labels)) {
        return false;
      }
    }
    return true;
  }
}
