package io.vigil.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alerting.rules.AlertEvaluator;
import io.vigil.alerting.rules.AlertState;
import io.vigil.alerting.rules.RuleLoader;
import io.vigil.alerting.rules.Sample;
import io.vigil.alerting.rules.Samples;
import io.vigil.model.json.Json;
import io.vigil.model.signal.GoldenSignal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The alert engine's rule evaluation alone, on one thread: {@code --series} (default 10,000) live
 * golden-signal records per round, each evaluated against {@code --rules} (default 500) threshold
 * rules by {@link AlertEvaluator}, its state in a plain map. A fifth of the rules have no label
 * matcher (every series is theirs: error ratio, p99, rate), the others select one service each;
 * error ratios are random, so alerts go pending, fire and resolve as they would. {@code --rounds}
 * (default 30) rounds are measured after {@code --warmup} (default 10), one second of event time
 * apart. Kafka, the stores' encoding and the changelog are not in this figure (they are in {@code
 * SkeletonBench}'s). Prints JSON: samples per second and rule checks per second (samples × rules).
 */
public final class RulesBench {
  private RulesBench() {}

  /** Entry point; see the class comment for arguments. */
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchRequests.args(argv);
    int series = Integer.parseInt(args.getOrDefault("series", "10000"));
    int ruleCount = Integer.parseInt(args.getOrDefault("rules", "500"));
    int rounds = Integer.parseInt(args.getOrDefault("rounds", "30"));
    int warmup = Integer.parseInt(args.getOrDefault("warmup", "10"));

    AlertEvaluator evaluator =
        new AlertEvaluator(RuleLoader.parse(rules(ruleCount, series), "bench.yaml"), "http://b");
    Map<String, AlertState> state = new HashMap<>();
    AlertEvaluator.States states = AlertEvaluator.States.of(state::get, state::put, state::remove);
    SplittableRandom random = new SplittableRandom(42);
    Instant start = Instant.parse("2026-12-03T00:00:00Z");

    long transitions = 0;
    long measuredNanos = 0;
    for (int round = 0; round < warmup + rounds; round++) {
      Instant now = start.plusSeconds(round);
      List<Sample> samples = new ArrayList<>(series);
      for (int s = 0; s < series; s++) {
        samples.add(Samples.of(signal("svc-" + s, now, random)));
      }
      long t0 = System.nanoTime();
      long fired = 0;
      for (Sample sample : samples) {
        fired += evaluator.evaluate(sample, states).size();
      }
      if (round >= warmup) {
        measuredNanos += System.nanoTime() - t0;
        transitions += fired;
      }
    }
    double seconds = measuredNanos / 1e9;
    long samples = (long) series * rounds;
    ObjectNode result = Json.mapper().createObjectNode();
    result.put("java", System.getProperty("java.version"));
    result.put("series", series);
    result.put("rules", ruleCount);
    result.put("rounds", rounds);
    result.put("samples_per_s", Math.round(samples / seconds));
    result.put("rule_checks_per_s", Math.round(samples * (double) ruleCount / seconds));
    result.put("transitions", transitions);
    result.put("alert_states_at_end", state.size());
    System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result));
  }

  /** {@code count} rules: every fifth on every series, the others on one service each. */
  private static String rules(int count, int series) {
    String[] global = {
      "errors.ratio > 0.09",
      "latency_ms.p99 > 900",
      "traffic.rate_per_s < 1",
      "latency_ms.p50 > 400"
    };
    StringBuilder yaml = new StringBuilder("groups:\n  - name: bench\n    rules:\n");
    for (int i = 0; i < count; i++) {
      String expr =
          i % 5 == 0
              ? global[(i / 5) % global.length]
              : "errors.ratio{service=\"svc-%d\"} > 0.05".formatted((i * 37) % series);
      yaml.append("      - alert: Rule")
          .append(i)
          .append("\n        expr: '")
          .append(expr)
          .append("'\n        for: 2s\n");
    }
    return yaml.toString();
  }

  /** A live record of {@code service} at {@code now}: 100 req/s, a random error ratio under 10%. */
  private static GoldenSignal signal(String service, Instant now, SplittableRandom random) {
    double ratio = random.nextDouble() * 0.1;
    long requests = 1000;
    double p50 = 50 + random.nextDouble() * 400;
    return new GoldenSignal(
        now,
        new GoldenSignal.Window(now.minus(Duration.ofSeconds(10)), now, 10),
        "bench",
        "shop",
        service,
        null,
        new GoldenSignal.Traffic(requests, requests / 10.0),
        new GoldenSignal.Errors(Math.round(requests * ratio), ratio),
        new GoldenSignal.Latency(p50, p50 * 1.5, p50 * 1.8, p50 * 2.2, p50 * 2.5),
        null);
  }
}
