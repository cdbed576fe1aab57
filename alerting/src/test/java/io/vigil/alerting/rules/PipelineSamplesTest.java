package io.vigil.alerting.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.model.alert.AlertTransition;
import io.vigil.model.alert.AlertTransition.State;
import io.vigil.model.pipeline.PipelineRun;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pipeline records with the catalog's expectations, as rules see them. */
class PipelineSamplesTest {
  private static final Instant T0 = Instant.parse("2026-11-22T02:00:00Z");
  private static final PipelineRun.Job NIGHTLY = new PipelineRun.Job("airflow", "nightly");

  private static PipelineRun run(String state, Double duration, PipelineRun.Sla sla, String team) {
    return new PipelineRun(
        T0,
        PipelineRun.RUN,
        NIGHTLY,
        new PipelineRun.Run("r-1", null, null),
        state,
        T0.minusSeconds(900),
        state.equals("running") || state.equals("overdue") ? null : T0,
        duration,
        null,
        null,
        null,
        null,
        sla,
        team,
        team == null ? null : "1");
  }

  @Test
  void aRunMeasuredAgainstTheCatalogCarriesItsVerdictAndOwner() {
    Sample breached = Samples.of(run("complete", 900.0, new PipelineRun.Sla(600, true), "data"));

    assertThat(breached.labels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("job_namespace", "airflow", "job", "nightly", "team", "data", "tier", "1"));
    assertThat(breached.values())
        .containsEntry("pipeline.sla_breached", 1.0)
        .containsEntry("pipeline.expected_duration_s", 600.0)
        .containsEntry("pipeline.failed", 0.0);
    assertThat(Samples.of(run("failed", 300.0, new PipelineRun.Sla(600, false), "data")).values())
        .containsEntry("pipeline.sla_breached", 0.0);
    assertThat(Samples.of(run("overdue", 660.0, new PipelineRun.Sla(600, true), "data")).values())
        .containsEntry("pipeline.sla_breached", 1.0)
        .containsEntry("pipeline.overdue", 1.0);
    assertThat(Samples.of(run("running", 0.0, new PipelineRun.Sla(600, null), "data")).values())
        .as("no verdict while it runs: an SLA alert neither fires nor resolves")
        .doesNotContainKey("pipeline.sla_breached")
        .containsEntry("pipeline.expected_duration_s", 600.0);
  }

  @Test
  void aJobOutsideTheCatalogHasNeitherOwnerNorSlaFields() {
    Sample sample = Samples.of(run("complete", 900.0, null, null));

    assertThat(sample.labels()).containsOnlyKeys("job_namespace", "job");
    assertThat(sample.values())
        .doesNotContainKeys("pipeline.sla_breached", "pipeline.expected_duration_s");
  }

  @Test
  void freshnessRecordsCarryTheTargetAndStaleness() {
    Sample stale =
        Samples.of(
            PipelineRun.freshness(
                T0,
                NIGHTLY,
                new PipelineRun.Freshness(T0.minusSeconds(7200), 7200.0, 3600.0, true),
                "data",
                null));

    assertThat(stale.values())
        .containsEntry("freshness.age_s", 7200.0)
        .containsEntry("freshness.target_s", 3600.0)
        .containsEntry("freshness.stale", 1.0);
    assertThat(stale.labels()).containsEntry("team", "data").doesNotContainKey("tier");
    Sample neverSucceeded =
        Samples.of(
            PipelineRun.freshness(
                T0, NIGHTLY, new PipelineRun.Freshness(null, null, 3600.0, false), null, null));
    assertThat(neverSucceeded.values())
        .containsOnlyKeys("freshness.target_s", "freshness.stale")
        .containsEntry("freshness.stale", 0.0);
  }

  @Test
  void theNewFieldsAreRuleFieldsOfPipelineRecords() {
    for (String field :
        List.of(
            "pipeline.sla_breached",
            "pipeline.expected_duration_s",
            "freshness.target_s",
            "freshness.stale")) {
      assertThat(Samples.sourceOf(field)).as(field).isEqualTo(Sample.Source.PIPELINES);
    }
  }

  @Test
  void anSlaAlertCarriesTheCatalogsTeamForRouting() {
    AlertRule rule =
        new AlertRule(
            "PipelineSlaBreached",
            "pipelines",
            "rules.yaml",
            Condition.parse("pipeline.sla_breached > 0"),
            Duration.ZERO,
            Duration.ZERO,
            Map.of("severity", "warning"),
            Map.of("summary", "{{ $labels.job }} ({{ $labels.team }}) took longer than expected"));
    Map<String, AlertState> store = new HashMap<>();
    AlertEvaluator evaluator = new AlertEvaluator(List.of(rule), "http://localhost:8890/");
    AlertEvaluator.States states = AlertEvaluator.States.of(store::get, store::put, store::remove);

    List<AlertTransition> out =
        evaluator.evaluate(
            Samples.of(run("complete", 900.0, new PipelineRun.Sla(600, true), "data")), states);

    assertThat(out)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.state()).isEqualTo(State.FIRING);
              assertThat(t.labels()).containsEntry("team", "data").containsEntry("tier", "1");
              assertThat(t.annotations())
                  .containsEntry("summary", "nightly (data) took longer than expected");
            });
  }

  @Test
  void aConsumerGroupFallingBehindOnOneTopicFiresForThatTopicAndResolvesWhenItCatchesUp() {
    AlertRule rule =
        new AlertRule(
            "ConsumerLagging",
            "streaming",
            "rules.yaml",
            Condition.parse("lag.seconds > 300"),
            Duration.ZERO,
            Duration.ZERO,
            Map.of("severity", "warning"),
            Map.of("summary", "{{ $labels.job }} is {{ $value }} s behind on {{ $labels.topic }}"));
    Map<String, AlertState> store = new HashMap<>();
    AlertEvaluator evaluator = new AlertEvaluator(List.of(rule), "http://localhost:8890/");
    AlertEvaluator.States states = AlertEvaluator.States.of(store::get, store::put, store::remove);
    PipelineRun.Job enricher = new PipelineRun.Job("main", "enricher");

    List<AlertTransition> fired =
        evaluator.evaluate(
            Samples.of(PipelineRun.lag(T0, enricher, new PipelineRun.Lag("orders", 9000, 420.0))),
            states);
    // The same group keeps up on another topic: its own series, nothing fires or resolves.
    assertThat(
            evaluator.evaluate(
                Samples.of(PipelineRun.lag(T0, enricher, new PipelineRun.Lag("refunds", 0, 0.0))),
                states))
        .isEmpty();
    List<AlertTransition> resolved =
        evaluator.evaluate(
            Samples.of(
                PipelineRun.lag(
                    T0.plusSeconds(60), enricher, new PipelineRun.Lag("orders", 10, 1.0))),
            states);

    assertThat(fired)
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.labels())
                  .containsEntry("job", "enricher")
                  .containsEntry("job_namespace", "main")
                  .containsEntry("topic", "orders");
              assertThat(t.annotations())
                  .containsEntry("summary", "enricher is 420 s behind on orders");
            });
    assertThat(resolved).extracting(AlertTransition::state).containsExactly(State.RESOLVED);
  }
}
