package io.vigil.systemtests;

import io.vigil.systemtests.Stack.Instance;
import io.vigil.systemtests.Stack.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Samples every service instance's {@code /readyz} once a second for the whole scenario, as a
 * Kubernetes readiness probe would, so a scenario can say whether readiness told the truth: red
 * while the service could not do its job, green within seconds after. An instance that does not
 * answer (killed, starting) counts as red; one the scenario {@linkplain Stack#lose lost} is no
 * longer probed. Methods given a {@link Service} mean its first instance.
 */
final class Readiness implements AutoCloseable {
  /** One probe's answer: green, or red with why ({@code /readyz}'s body, or "down"). */
  record Sample(Instant at, boolean green, String why) {}

  private final Map<Instance, List<Sample>> samples = new TreeMap<>();
  private final ScheduledExecutorService probe;

  private Readiness(Function<Instance, String> readyz, Supplier<List<Instance>> instances) {
    probe =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "readyz-probe");
              t.setDaemon(true);
              return t;
            });
    probe.scheduleAtFixedRate(
        () -> {
          for (Instance instance : instances.get()) {
            String body = readyz.apply(instance);
            Sample sample =
                new Sample(
                    Instant.now(),
                    body != null && Stack.isReady(body.strip()),
                    body == null ? "down" : body.strip());
            synchronized (samples) {
              samples.computeIfAbsent(instance, i -> new ArrayList<>()).add(sample);
            }
          }
        },
        0,
        1,
        TimeUnit.SECONDS);
  }

  /** Starts probing every instance of {@code stack} that has been started and not lost. */
  static Readiness of(Stack stack) {
    return new Readiness(stack::readyz, stack::instances);
  }

  /** The samples of {@code service} taken so far, oldest first. */
  List<Sample> samples(Service service) {
    return samples(service.instance(1));
  }

  /** The samples of {@code instance} taken so far, oldest first. */
  List<Sample> samples(Instance instance) {
    synchronized (samples) {
      return List.copyOf(samples.getOrDefault(instance, List.of()));
    }
  }

  /** Seconds of red samples of {@code service} between {@code from} and {@code to}. */
  long redSeconds(Service service, Instant from, Instant to) {
    return redSeconds(service.instance(1), from, to);
  }

  /** Seconds of red samples of {@code instance} between {@code from} and {@code to}. */
  long redSeconds(Instance instance, Instant from, Instant to) {
    return samples(instance).stream()
        .filter(s -> !s.at().isBefore(from) && s.at().isBefore(to))
        .filter(s -> !s.green())
        .count();
  }

  /** The first red sample of {@code service} at or after {@code from}. */
  Optional<Sample> firstRed(Service service, Instant from) {
    return samples(service).stream().filter(s -> !s.at().isBefore(from) && !s.green()).findFirst();
  }

  /**
   * How long after {@code from} {@code instance} turned green for good: waits (up to {@code limit})
   * until its latest sample is green, then measures to the first green sample after its last red
   * one. Empty if it is still red at the limit.
   */
  Optional<Duration> awaitGreen(Instance instance, Instant from, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (greenAfter(instance, from).isEmpty() && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(200); // polling the probe's samples, with a deadline
    }
    return greenAfter(instance, from);
  }

  /**
   * How long after {@code from} {@code instance} turned green and stayed green to the last sample,
   * or empty if its last sample is red.
   */
  Optional<Duration> greenAfter(Instance instance, Instant from) {
    List<Sample> all = samples(instance);
    if (all.isEmpty() || !all.get(all.size() - 1).green()) {
      return Optional.empty();
    }
    Instant green = from;
    for (Sample s : all) {
      if (!s.at().isBefore(from) && !s.green()) {
        green = s.at().plusSeconds(1); // green from the next sample on
      }
    }
    return Optional.of(Duration.between(from, green)); // green never moves before from
  }

  /** One line: each instance's red seconds over the scenario, with every distinct reason given. */
  String summary() {
    StringBuilder line = new StringBuilder("readyz red:");
    for (Instance instance : instances()) {
      List<Sample> all = samples(instance);
      long red = all.stream().filter(s -> !s.green()).count();
      line.append(' ').append(instance).append(' ').append(red).append(" s");
      all.stream()
          .filter(s -> !s.green())
          .map(Sample::why)
          .distinct()
          .reduce((a, b) -> a + " / " + b)
          .ifPresent(why -> line.append(" (").append(why).append(')'));
      line.append(',');
    }
    line.setLength(line.length() - 1);
    return line.toString();
  }

  /** Every instance probed so far, in order. */
  private List<Instance> instances() {
    synchronized (samples) {
      return List.copyOf(samples.keySet());
    }
  }

  /** Writes every sample, one line each (time, instance, green or red, why), to {@code file}. */
  void writeTo(Path file) throws IOException {
    StringBuilder out = new StringBuilder();
    for (Instance instance : instances()) {
      for (Sample s : samples(instance)) {
        out.append(s.at())
            .append('\t')
            .append(instance)
            .append('\t')
            .append(s.green() ? "green" : "red")
            .append('\t')
            .append(s.why())
            .append('\n');
      }
    }
    Files.writeString(file, out);
  }

  @Override
  public void close() {
    probe.shutdownNow();
    try {
      probe.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
