package io.vigil.alerting.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {
  private static final String CONFIG =
      """
      route:
        receiver: default
        group_by: [alertname]
        routes:
          - matchers: [service=~"foo1|foo2|checkout"]
            receiver: team-x
            routes:
              - matchers: ['severity="critical"']
                receiver: team-x-pager
          - match: {service: database}
            receiver: db
            group_by: [alertname, database]
            routes:
              - match_re: {owner: "team-.*"}
                receiver: owners
                continue: true
              - matchers: [owner="team-y"]
                receiver: team-y
      receivers:
        - name: default
        - name: team-x
        - name: team-x-pager
        - name: db
        - name: owners
        - name: team-y
      """;

  private final Router router =
      new Router(AlertmanagerConfig.parse(CONFIG, "alertmanager.yml").route());

  private List<String> receivers(Map<String, String> labels) {
    return router.match(labels).stream().map(Route::receiver).toList();
  }

  @Test
  void fallsBackToTheRoot() {
    assertThat(receivers(Map.of("service", "cart"))).containsExactly("default");
  }

  @Test
  void followsTheFirstMatchingChildDownTheTree() {
    assertThat(receivers(Map.of("service", "checkout"))).containsExactly("team-x");
    assertThat(receivers(Map.of("service", "checkout", "severity", "critical")))
        .containsExactly("team-x-pager");
  }

  @Test
  void continueKeepsMatchingSiblings() {
    assertThat(receivers(Map.of("service", "database", "owner", "team-y")))
        .containsExactly("owners", "team-y");
    assertThat(receivers(Map.of("service", "database", "owner", "team-z")))
        .containsExactly("owners");
  }

  @Test
  void childrenInheritAndOverrideGrouping() {
    List<Route> routes = router.match(Map.of("service", "database", "owner", "team-z"));
    assertThat(routes.get(0).groupBy()).containsExactly("alertname", "database");
    assertThat(router.match(Map.of("service", "checkout")).get(0).groupBy())
        .containsExactly("alertname");
  }
}
