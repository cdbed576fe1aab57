package io.vigil.alerting.route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the routes an alert goes to, with Alertmanager's semantics: starting at the root, the first
 * matching child is followed (and later siblings too while the matched child has {@code continue:
 * true}); a node none of whose children match is itself the result.
 */
public final class Router {
  private final Route root;
  private final Map<Route, String> ids = new IdentityHashMap<>();
  private final Map<String, Route> byId = new HashMap<>();

  /** A router over the tree starting at {@code root}. */
  public Router(Route root) {
    this.root = root;
    index(root, "0");
  }

  private void index(Route node, String id) {
    ids.put(node, id);
    byId.put(id, node);
    for (int i = 0; i < node.routes().size(); i++) {
      index(node.routes().get(i), id + "." + i);
    }
  }

  /**
   * A route's position in the tree: {@code 0} for the root, {@code 0.2} for its third child, and so
   * on. Alert groups are named after it.
   */
  public String id(Route route) {
    String id = ids.get(route);
    if (id == null) {
      throw new IllegalArgumentException("not a route of this tree");
    }
    return id;
  }

  /** The route with {@code id}, or the root when the tree no longer has it (a changed config). */
  public Route route(String id) {
    return byId.getOrDefault(id, root);
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
