package io.vigil.model.web;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named bearer tokens — inline ones and the lines of a token file — kept as SHA-256 digests and
 * compared in constant time: every digest is compared, whatever matches, so neither a token's
 * length nor whose it is leaks through timing. Tokens never appear in logs or metrics; names may.
 *
 * <p>The token file is read again when it changes, as the certificates are ({@code
 * ServerCredentials}): a rotated Kubernetes Secret takes effect without a restart. At most once a
 * second, on a request, the file's modification time, size and identity (a Secret volume swaps a
 * symlink) are compared with the last read's; only a change re-reads it. A change that cannot be
 * used (unreadable, a malformed line, a name given twice) is refused: the tokens in use stay, and
 * {@code refused} is told (to log and count it, naming the key, file and line, never a token); the
 * next change is tried again. A file emptied of tokens refuses every bearer: whether a server asks
 * for credentials is decided at start.
 */
public final class BearerTokens {
  private static final Logger LOG = LoggerFactory.getLogger(BearerTokens.class);

  /** How often, at most, the file is looked at. */
  static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  private record Known(String name, byte[] digest) {}

  private final Path file;
  private final Supplier<Map<String, String>> read;
  private final Consumer<ConfigException> refused;
  private final LongSupplier nanoTime;
  private final AtomicBoolean checking = new AtomicBoolean();
  private volatile List<Known> known;
  private volatile long nextCheck;
  private List<Object> stamp;

  private BearerTokens(
      Path file,
      Supplier<Map<String, String>> read,
      Consumer<ConfigException> refused,
      LongSupplier nanoTime) {
    this.file = file;
    this.read = read;
    this.refused = refused;
    this.nanoTime = nanoTime;
  }

  /**
   * Tokens by name, {@code initial} now (read at start: a service does not start on a bad file),
   * then as {@code read} gives them (the inline ones and {@code file}'s lines, checked, or a {@link
   * ConfigException}) whenever {@code file} changes; {@code file} null: never.
   */
  public static BearerTokens watching(
      Path file,
      Map<String, String> initial,
      Supplier<Map<String, String>> read,
      Consumer<ConfigException> refused) {
    return watching(file, initial, read, refused, System::nanoTime);
  }

  /**
   * As {@link #watching(Path, Map, Supplier, Consumer)}, for a service's listener named {@code
   * what}: a change that cannot be used is counted in counter {@code metric} (registered in {@code
   * registry} with {@code help}) and logged, and the tokens in use stay; {@code file} null: {@code
   * initial} for good, and no counter.
   */
  public static BearerTokens watchingCounted(
      Path file,
      Map<String, String> initial,
      Supplier<Map<String, String>> read,
      PrometheusRegistry registry,
      String metric,
      String help,
      String what) {
    if (file == null) {
      return of(initial);
    }
    Counter refused = Counter.builder().name(metric).help(help).register(registry);
    return watching(
        file,
        initial,
        read,
        e -> {
          refused.inc();
          LOG.warn("{}: kept the bearer tokens in use: {}", what, e.getMessage());
        });
  }

  /** As {@link #watching(Path, Map, Supplier, Consumer)}, on the clock {@code nanoTime}. */
  static BearerTokens watching(
      Path file,
      Map<String, String> initial,
      Supplier<Map<String, String>> read,
      Consumer<ConfigException> refused,
      LongSupplier nanoTime) {
    BearerTokens tokens = new BearerTokens(file, read, refused, nanoTime);
    tokens.stamp = file == null ? null : stamp(file);
    tokens.known = digests(initial);
    tokens.nextCheck = nanoTime.getAsLong() + CHECK_INTERVAL.toNanos();
    return tokens;
  }

  /** Fixed tokens by name. */
  public static BearerTokens of(Map<String, String> tokensByName) {
    return watching(null, tokensByName, () -> tokensByName, e -> {});
  }

  /** Whether there were no tokens at start (then a server does not ask for any). */
  public boolean isEmpty() {
    return known.isEmpty() && file == null;
  }

  /** The name of the token {@code presented} (without {@code Bearer }), or null. */
  public String holder(String presented) {
    refresh();
    byte[] digest = sha256(presented);
    String found = null;
    for (Known k : known) {
      if (MessageDigest.isEqual(k.digest(), digest) && !presented.isEmpty()) {
        found = k.name();
      }
    }
    return found;
  }

  /** Re-reads the file if it changed since the last look, at most once per interval. */
  private void refresh() {
    long now = nanoTime.getAsLong();
    if (file == null || now - nextCheck < 0 || !checking.compareAndSet(false, true)) {
      return;
    }
    try {
      nextCheck = now + CHECK_INTERVAL.toNanos();
      List<Object> current = stamp(file);
      if (current.equals(stamp)) {
        return;
      }
      stamp = current;
      try {
        known = digests(read.get());
      } catch (ConfigException e) {
        refused.accept(e);
      }
    } finally {
      checking.set(false);
    }
  }

  /**
   * What tells a changed file: its modification time, size and identity, or why it is unreadable.
   */
  private static List<Object> stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      Object key = a.fileKey();
      return List.of(a.lastModifiedTime(), a.size(), key == null ? "" : key);
    } catch (IOException e) {
      return List.of("unreadable", String.valueOf(e.getMessage()));
    }
  }

  private static List<Known> digests(Map<String, String> tokensByName) {
    List<Known> known = new ArrayList<>();
    tokensByName.forEach((name, token) -> known.add(new Known(name, sha256(token))));
    return List.copyOf(known);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
