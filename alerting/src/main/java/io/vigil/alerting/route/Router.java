package io.vigil.alerting.route;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the routes an alert goes to, with Alertmanager's semantics: starting at the root, the first
 * matching child is followed (and later siblings too while the matched child has {@code continue:
 * true}); a node none of whose children match is itself the result.
 */
public final class Router {
  private final Route root;

  /** A router over the tree starting at {@code root}. */
  public Router(Route root) {
    this.root = root;
  }

  /** The matching routes for {@code labels}, in tree order; never empty (the root catches all). */
  public List<Route> match(Map<String, String> labels) {
    List<Route> matched = match(root, labels);
    return matched.isEmpty() ? List.of(root) : matched;
  }

  private static List<Route> match(Route node, Map<String, String> labels) {
    if (!node.matches(labels)) {
      return List.of();
    }
    List<Route> all = new ArrayList<>();
    for (Route child : node.routes()) {
      List<Route> matched = match(child, labels);
      all.addAll(matched);
      if (!matched.isEmpty() && !child.continueMatching()) {
        break;
      }
    }
    if (all.isEmpty()) {
      all.add(node);
    }
    return all;
  }
}
