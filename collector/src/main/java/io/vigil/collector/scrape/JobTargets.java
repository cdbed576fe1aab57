package io.vigil.collector.scrape;

import io.vigil.collector.scrape.Scraper.TargetSpec;
import io.vigil.model.config.Durations;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One job's targets, from what was found to what is scraped, as Prometheus' {@code PopulateLabels}
 * works them out: the found labels, the job's {@code labels}, then {@code job}, {@code __scheme__},
 * {@code __metrics_path__}, {@code __scrape_interval__}, {@code __scrape_timeout__} and {@code
 * __param_<name>} where absent; the job's {@code relabel_configs}; then {@code __address__}, {@code
 * __scheme__}, {@code __metrics_path__} and {@code __param_*} make the URL, the two durations the
 * schedule, {@code instance} defaults to the address, and the labels not starting with {@code __}
 * become resource attributes.
 */
final class JobTargets {
  static final String JOB = "job";
  static final String INSTANCE = "instance";
  static final String INTERVAL = "__scrape_interval__";
  static final String TIMEOUT = "__scrape_timeout__";
  static final String PARAM = "__param_";

  private static final Duration SHORTEST = Duration.ofMillis(100);

  private final ScrapeSettings.Job job;
  private final Duration interval;
  private final Duration timeout;
  private final Relabel relabel;
  private final MetricRelabel metricRelabel;

  /** What becomes of one found target. */
  sealed interface Outcome permits Active, Dropped, Invalid {}

  /** Scraped as {@code spec} says. */
  record Active(TargetSpec spec) implements Outcome {}

  /** Dropped by a rule. */
  record Dropped() implements Outcome {}

  /** Left with labels that make no target; {@code reason} is the metric label. */
  record Invalid(String reason, String message) implements Outcome {}

  JobTargets(ScrapeSettings settings, ScrapeSettings.Job job) {
    this.job = job;
    this.interval = settings.interval();
    this.timeout = settings.timeout();
    this.relabel = new Relabel(job.relabelConfigs());
    this.metricRelabel = new MetricRelabel(job.metricRelabelConfigs());
  }

  ScrapeSettings.Job job() {
    return job;
  }

  MetricRelabel metricRelabel() {
    return metricRelabel;
  }

  /** The labels of {@code found} as its job's rules see them. */
  Map<String, String> labels(DiscoveredTarget found) {
    Map<String, String> labels = new LinkedHashMap<>(found.labels());
    job.labels().forEach((name, value) -> putIfAbsent(labels, name, value));
    putIfAbsent(labels, JOB, job.job());
    putIfAbsent(labels, INTERVAL, Durations.format(interval));
    putIfAbsent(labels, TIMEOUT, Durations.format(timeout));
    putIfAbsent(labels, DiscoveredTarget.METRICS_PATH, job.path());
    putIfAbsent(labels, DiscoveredTarget.SCHEME, job.scheme());
    job.params()
        .forEach(
            (name, values) -> {
              if (!values.isEmpty()) {
                putIfAbsent(labels, PARAM + name, values.get(0));
              }
            });
    return labels;
  }

  private static void putIfAbsent(Map<String, String> labels, String name, String value) {
    if (value != null && !value.isEmpty() && labels.getOrDefault(name, "").isEmpty()) {
      labels.put(name, value);
    }
  }

  /**
   * What becomes of a source's targets: the ones scraped (each once), how many rules dropped, and
   * the invalid ones.
   */
  record Resolution(List<TargetSpec> active, int dropped, List<Invalid> invalid) {}

  /** What becomes of each of {@code found}. */
  Resolution resolve(List<DiscoveredTarget> found) {
    Set<TargetSpec> active = new LinkedHashSet<>();
    int dropped = 0;
    List<Invalid> invalid = new ArrayList<>();
    for (DiscoveredTarget target : found) {
      Outcome outcome = resolve(target);
      if (outcome instanceof Active a) {
        active.add(a.spec()); // targets the rules made the same are scraped once
      } else if (outcome instanceof Invalid i) {
        invalid.add(i);
      } else {
        dropped++;
      }
    }
    return new Resolution(List.copyOf(active), dropped, invalid);
  }

  /** What becomes of {@code found}. */
  Outcome resolve(DiscoveredTarget found) {
    Map<String, String> labels = relabel.apply(labels(found));
    if (labels == null) {
      return new Dropped();
    }
    String address = labels.getOrDefault(DiscoveredTarget.ADDRESS, "");
    if (address.isEmpty()) {
      return new Invalid("no_address", "no __address__ left after relabelling: " + labels);
    }
    if (address.contains("/")) {
      return new Invalid("invalid_address", "__address__ '" + address + "' is not host:port");
    }
    String scheme = labels.getOrDefault(DiscoveredTarget.SCHEME, "");
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return new Invalid(
          "invalid_scheme", "__scheme__ '" + scheme + "' of " + address + " is not http or https");
    }
    Duration every;
    Duration within;
    try {
      every = Durations.parse(labels.getOrDefault(INTERVAL, ""));
      within = Durations.parse(labels.getOrDefault(TIMEOUT, ""));
    } catch (IllegalArgumentException e) {
      return new Invalid("invalid_interval", address + ": " + INTERVAL + "/" + TIMEOUT + " " + e);
    }
    if (every.compareTo(SHORTEST) < 0 || within.isZero() || within.compareTo(every) > 0) {
      return new Invalid(
          "invalid_interval",
          address
              + ": "
              + INTERVAL
              + " must be >= 100ms and "
              + TIMEOUT
              + " > 0 and <= it, were "
              + Durations.format(every)
              + " and "
              + Durations.format(within));
    }
    URI url;
    try {
      url = url(scheme, address, labels);
    } catch (URISyntaxException e) {
      return new Invalid("invalid_address", "no URL from " + address + ": " + e.getMessage());
    }
    String instance = labels.getOrDefault(INSTANCE, address);
    Map<String, String> kept = new LinkedHashMap<>();
    labels.forEach(
        (name, value) -> {
          if (!name.startsWith("__") && !name.equals(JOB) && !name.equals(INSTANCE)) {
            kept.put(name, value);
          }
        });
    String service = labels.getOrDefault(JOB, job.job());
    return new Active(
        new TargetSpec(
            job.job(),
            url,
            every,
            within,
            resource(service, instance, scheme, found.resource(), kept),
            job.access()));
  }

  /**
   * The URL as Prometheus makes it: the path gets a leading {@code /} if it lacks one; the job's
   * {@code params}, each {@code __param_<name>} replacing the first value of its name, in name
   * order.
   */
  private URI url(String scheme, String address, Map<String, String> labels)
      throws URISyntaxException {
    String path = labels.getOrDefault(DiscoveredTarget.METRICS_PATH, "");
    if (!path.isEmpty() && !path.startsWith("/")) {
      path = "/" + path;
    }
    URI base = new URI(scheme, address, path, null, null).parseServerAuthority();
    if (base.getHost() == null) {
      throw new URISyntaxException(address, "no host");
    }
    Map<String, List<String>> params = new TreeMap<>();
    job.params().forEach((name, values) -> params.put(name, new ArrayList<>(values)));
    labels.forEach(
        (name, value) -> {
          if (name.startsWith(PARAM)) {
            List<String> values =
                params.computeIfAbsent(name.substring(PARAM.length()), n -> new ArrayList<>());
            if (values.isEmpty()) {
              values.add(value);
            } else {
              values.set(0, value);
            }
          }
        });
    if (params.isEmpty()) {
      return base;
    }
    StringBuilder query = new StringBuilder();
    params.forEach(
        (name, values) -> {
          for (String value : values) {
            query.append(query.length() == 0 ? "" : "&");
            query.append(URLEncoder.encode(name, StandardCharsets.UTF_8));
            query.append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
          }
        });
    return new URI(base.toASCIIString() + "?" + query);
  }

  /**
   * A target's resource attributes, as the OpenTelemetry Collector's Prometheus receiver names
   * them: {@code service.name} = the job, {@code service.instance.id} = the instance, {@code
   * server.address} and {@code server.port} from it, {@code url.scheme}; then what its discovery
   * gave ({@code k8s.*}); then its labels, which win.
   */
  static Map<String, String> resource(
      String job,
      String instance,
      String scheme,
      Map<String, String> discovered,
      Map<String, String> labels) {
    Map<String, String> resource = new LinkedHashMap<>();
    resource.put("service.name", job);
    resource.put("service.instance.id", instance);
    String[] hostPort = hostPort(instance);
    resource.put("server.address", hostPort[0]);
    if (hostPort[1] != null) {
      resource.put("server.port", hostPort[1]);
    }
    resource.put("url.scheme", scheme);
    resource.putAll(discovered);
    resource.putAll(labels);
    return resource;
  }

  /** Host and port of {@code host:port} or {@code [v6]:port}; the port null when there is none. */
  static String[] hostPort(String address) {
    if (address.startsWith("[")) {
      int close = address.indexOf(']');
      if (close > 0 && address.startsWith(":", close + 1)) {
        return new String[] {address.substring(1, close), address.substring(close + 2)};
      }
      return new String[] {address, null};
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || address.indexOf(':') != colon) {
      return new String[] {address, null};
    }
    return new String[] {address.substring(0, colon), address.substring(colon + 1)};
  }
}
