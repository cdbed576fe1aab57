package io.vigil.alerting.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alerting.notify.Alerts;
import io.vigil.alerting.rules.Signals;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.signal.GoldenSignal;
import org.junit.jupiter.api.Test;

class DocumentsTest {
  @Test
  void signalUsesEcsNamesAndItsStableId() {
    GoldenSignal signal = Signals.errorRatio("checkout", "POST /pay", 0, 0.2);

    IndexDocument doc = Documents.signal("metrics-vigil.signals-default", signal);

    assertThat(doc.id()).isEqualTo(signal.id());
    assertThat(doc.create()).isTrue();
    ObjectNode s = doc.source();
    assertThat(s.at("/@timestamp").asText()).isEqualTo("2024-05-01T12:00:10Z");
    assertThat(s.at("/service/name").asText()).isEqualTo("checkout");
    assertThat(s.at("/kubernetes/namespace").asText()).isEqualTo("shop");
    assertThat(s.at("/orchestrator/cluster/name").asText()).isEqualTo("c1");
    assertThat(s.at("/vigil/operation").asText()).isEqualTo("POST /pay");
    assertThat(s.at("/errors/ratio").asDouble()).isEqualTo(0.2);
    assertThat(s.at("/window/seconds").asLong()).isEqualTo(10);
    assertThat(s.has("latency_ms")).isFalse();
  }

  @Test
  void aServicesLogVolumeIsItsOwnSeries() {
    GoldenSignal signal =
        GoldenSignal.logs(
            null,
            new GoldenSignal.Window(Signals.T0, Signals.T0.plusSeconds(10), 10),
            "c1",
            "shop",
            "checkout",
            new GoldenSignal.Logs(40, 30, 4.0, 3.0),
            null);

    IndexDocument doc = Documents.signal("metrics-vigil.signals-default", signal);

    ObjectNode s = doc.source();
    assertThat(doc.id()).isEqualTo("c1/shop/checkout//logs@" + Signals.T0.toEpochMilli());
    assertThat(s.at("/service/name").asText()).isEqualTo("checkout");
    assertThat(s.at("/logs/errors").asLong()).isEqualTo(30);
    assertThat(s.at("/logs/error_rate_per_s").asDouble()).isEqualTo(3.0);
    assertThat(s.has("traffic")).isFalse();
    assertThat(s.at("/vigil/series").asText()).isEqualTo("c1/shop/checkout//logs");
  }

  @Test
  void aNodesSaturationNamesTheHostAndHasNoService() {
    GoldenSignal signal = Signals.nodeSaturation("worker-1", 20, 0.85, 0.4);

    IndexDocument doc = Documents.signal("metrics-vigil.signals-default", signal);

    ObjectNode s = doc.source();
    assertThat(doc.id()).isEqualTo("c1////worker-1/@" + Signals.T0.plusSeconds(10).toEpochMilli());
    assertThat(s.at("/host/name").asText()).isEqualTo("worker-1");
    assertThat(s.has("service")).isFalse();
    assertThat(s.has("traffic")).isFalse();
    assertThat(s.at("/saturation/cpu_utilization").asDouble()).isEqualTo(0.85);
    assertThat(s.at("/vigil/series").asText()).isEqualTo("c1////worker-1/");
  }

  @Test
  void transitionHistoryIsDeduplicatedAndCurrentStateOverwritten() {
    AlertTransition t = Alerts.firing("checkout error ratio is 0.2");

    IndexDocument history = Documents.transition("logs-vigil.alerts-default", t);
    IndexDocument current = Documents.currentState("vigil-alerts", t);

    assertThat(history.id()).isEqualTo("0123456789abcdef-firing-1714564810000");
    assertThat(history.create()).isTrue();
    assertThat(current.id()).isEqualTo("0123456789abcdef");
    assertThat(current.create()).isFalse();
    ObjectNode s = current.source();
    assertThat(s.at("/message").asText()).isEqualTo("checkout error ratio is 0.2");
    assertThat(s.at("/state").asText()).isEqualTo("firing");
    assertThat(s.at("/labels/service").asText()).isEqualTo("checkout");
    assertThat(s.at("/service/name").asText()).isEqualTo("checkout");
    assertThat(s.at("/event/kind").asText()).isEqualTo("alert");
    assertThat(s.at("/@timestamp").asText()).isEqualTo("2024-05-01T12:00:10Z");
  }
}
