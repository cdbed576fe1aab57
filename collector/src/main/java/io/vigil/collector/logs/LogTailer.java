package io.vigil.collector.logs;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vigil.model.Topics;
import io.vigil.model.kafka.KafkaSettings;
import io.vigil.model.runtime.ThrottlingLogger;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tails log files into {@code otlp_logs}, exactly once (ADR 0007). One thread finds the files
 * ({@link FileFinder}), reads their new lines, turns them into records ({@link ContainerLine},
 * {@link RecordAssembler}, {@link LogRecords}) and ships each batch in one Kafka transaction with
 * the new offset of every file it read ({@link Checkpoints}); the next batch is read while the
 * previous one commits. Nothing is marked read unless Kafka committed the lines, and no line is
 * committed twice: after a failed or uncertain commit, and at every start, the tailer
 * re-initialises its transactional producer (which finishes or aborts whatever its previous
 * incarnation left open) and then reads its offsets back from Kafka.
 *
 * <p>While Kafka is unreachable the tailer simply pauses, retrying every second; the files are its
 * buffer. Rotation by rename (the kubelet's) and deletion are handled by keeping each file open
 * until it is read to its end; copy-truncate by starting over when a file shrinks.
 */
public final class LogTailer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogTailer.class);

  /** Bytes of lines read before a batch is shipped. */
  static final int BATCH_BYTES = 4 * 1024 * 1024;

  /** Encoded log records per Kafka record, well below Kafka's default 1 MiB message size. */
  static final int RECORD_BYTES = 512 * 1024;

  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

  /**
   * How long a file rotated away (or deleted) is still read after its end was reached and nothing
   * new came: the kubelet renames a container's log and only then has the runtime reopen it, so the
   * runtime writes on into the renamed file for a moment (Fluent Bit's {@code Rotate_Wait}, the
   * same 5 s).
   */
  static final Duration ROTATE_WAIT = Duration.ofSeconds(5);

  private final LogsSettings settings;
  private final Function<String, Map<String, String>> pods;
  private final KafkaSettings kafka;
  private final FileFinder finder;
  private final Map<Path, TailedFile> files = new LinkedHashMap<>();
  private final List<TailedFile> draining = new ArrayList<>();
  private final Map<String, Checkpoints.Checkpoint> checkpoints = new HashMap<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;
  private final ThrottlingLogger problems = new ThrottlingLogger(LOG);
  private final Counter shipped;
  private final LogRecords logRecords;
  private final Counter shipErrors;
  private final Gauge watched;
  private final Function<Properties, KafkaProducer<byte[], byte[]>> producers;
  private KafkaProducer<byte[], byte[]> producer;
  private Pending pending;
  private Pending uncertain; // its commit failed or timed out: Kafka may hold it or not
  private final ExecutorService committer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "vigil-collector-logs-commit");
            t.setDaemon(true);
            return t;
          });
  private boolean firstDiscovery;
  private Map<Object, Long> presentAtStart; // null: the files present are those found first
  private boolean resumedMoved;
  private long lastDiscovery = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
  private volatile boolean healthy = true;

  private LogTailer(
      LogsSettings settings,
      KafkaSettings kafka,
      Function<String, Map<String, String>> pods,
      PrometheusRegistry registry,
      Function<Properties, KafkaProducer<byte[], byte[]>> producers) {
    this.settings = settings;
    this.producers = producers;
    this.pods = pods;
    this.kafka = kafka;
    this.finder = new FileFinder(settings.include(), settings.exclude());
    this.shipped =
        Counter.builder()
            .name("vigil_collector_log_records_total")
            .help("Log records read from files and committed to Kafka")
            .register(registry);
    this.logRecords =
        new LogRecords(
            settings.parseJson(),
            settings.parseLogfmt(),
            Counter.builder()
                .name("vigil_collector_log_records_cut_total")
                .help("Log records longer than logs.max_line_bytes, cut to it")
                .register(registry));
    this.shipErrors =
        Counter.builder()
            .name("vigil_collector_log_ship_errors_total")
            .help("Batches of log records Kafka did not commit (read again and retried)")
            .register(registry);
    this.watched =
        Gauge.builder()
            .name("vigil_collector_log_files")
            .help("Log files being read")
            .register(registry);
    this.thread = new Thread(this::run, "vigil-collector-logs");
    this.thread.setDaemon(true);
  }

  /**
   * Connects (a transactional producer named after {@code logs.checkpoint_id}), reads the offsets
   * back and starts tailing.
   *
   * @throws KafkaException when Kafka cannot be reached within 30 s
   */
  public static LogTailer start(
      LogsSettings settings, KafkaSettings kafka, PrometheusRegistry registry) {
    return start(settings, kafka, uid -> Map.of(), registry);
  }

  /**
   * As {@link #start(LogsSettings, KafkaSettings, PrometheusRegistry)}; {@code pods} gives a pod's
   * resource attributes (labels, owners) by its uid, added to its containers' records.
   */
  public static LogTailer start(
      LogsSettings settings,
      KafkaSettings kafka,
      Function<String, Map<String, String>> pods,
      PrometheusRegistry registry) {
    return start(settings, kafka, pods, registry, null);
  }

  /**
   * As {@link #start(LogsSettings, KafkaSettings, Function, PrometheusRegistry)}, later than the
   * collector started (it waited for Kafka): on a first start, {@code presentAtStart} ({@link
   * #filesPresent}, taken when the collector started) says which files {@code start_at: end} skips,
   * and how far; files that appeared since are read from their start.
   */
  public static LogTailer start(
      LogsSettings settings,
      KafkaSettings kafka,
      Function<String, Map<String, String>> pods,
      PrometheusRegistry registry,
      Map<Object, Long> presentAtStart) {
    return start(
        settings,
        kafka,
        pods,
        registry,
        presentAtStart,
        config ->
            new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()));
  }

  /** As above, its transactional producers made by {@code producers} (a test's faults). */
  static LogTailer start(
      LogsSettings settings,
      KafkaSettings kafka,
      Function<String, Map<String, String>> pods,
      PrometheusRegistry registry,
      Map<Object, Long> presentAtStart,
      Function<Properties, KafkaProducer<byte[], byte[]>> producers) {
    LogTailer tailer = new LogTailer(settings, kafka, pods, registry, producers);
    tailer.presentAtStart = presentAtStart;
    tailer.connect();
    tailer.firstDiscovery = tailer.checkpoints.isEmpty();
    tailer.thread.start();
    LOG.info(
        "tailing {} (checkpoint id {}, {} file offsets in Kafka)",
        settings.include(),
        settings.checkpointId(),
        tailer.checkpoints.size());
    return tailer;
  }

  /** The files {@code settings} tails as they are now: their file keys and sizes. */
  public static Map<Object, Long> filesPresent(LogsSettings settings) throws IOException {
    Map<Object, Long> present = new HashMap<>();
    for (Path path : new FileFinder(settings.include(), settings.exclude()).find()) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        present.put(attributes.fileKey(), attributes.size());
      } catch (NoSuchFileException gone) {
        // rotated away between the listing and the look
      }
    }
    return present;
  }

  /** A new transactional producer, then the offsets as Kafka holds them. */
  private void connect() {
    if (producer != null) {
      producer.close(Duration.ZERO);
    }
    producer =
        producers.apply(
            kafka.producer(
                Map.of(
                    ProducerConfig.CLIENT_ID_CONFIG, "vigil-collector-logs",
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        "vigil-collector-logs-" + settings.checkpointId(),
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                    ProducerConfig.LINGER_MS_CONFIG, "5",
                    ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(KAFKA_TIMEOUT.toMillis()))));
    // Finishes or aborts the transaction a previous incarnation may have left open ...
    producer.initTransactions();
    // ... so what Kafka holds now is the truth about how far each file was read.
    checkpoints.clear();
    checkpoints.putAll(Checkpoints.load(kafka, settings.checkpointId(), KAFKA_TIMEOUT));
  }

  private void run() {
    try {
      while (stop.getCount() > 0) {
        boolean busy = false;
        try {
          long now = System.nanoTime();
          if (now - lastDiscovery >= settings.pollInterval().toNanos()) {
            settle(); // discovery may seek files: not while a batch is committing
            discover(); // at most once a poll interval, not once a batch
            lastDiscovery = now;
          }
          // The next batch is read while the previous one commits: reading and Kafka overlap.
          Map<TailedFile, Part> batch = read();
          settle();
          busy = send(batch);
        } catch (KafkaException e) {
          failed(e);
        } catch (IOException | RuntimeException e) {
          problems.warn("log tailing failed, retrying", e);
          pause(RETRY);
        }
        if (!busy) {
          pause(settings.pollInterval());
        }
      }
      settle();
    } catch (KafkaException e) {
      failed(e); // the last commit at close; the next start reads the truth from Kafka
    } catch (Error e) {
      healthy = false;
      throw e;
    }
  }

  /** A commit that did not (or may not have) happen: read everything again from the truth. */
  private void failed(KafkaException e) {
    shipErrors.inc();
    Throwable cause = e.getCause() == null ? e : e.getCause();
    problems.warn("log lines not stored in Kafka, reading them again: {}", cause.toString());
    pending = null;
    reconnect();
  }

  /** After a failed or uncertain commit: start over from what Kafka holds. */
  private void reconnect() {
    while (stop.getCount() > 0) {
      try {
        connect();
        Pending maybe = uncertain;
        uncertain = null;
        if (maybe != null && committed(maybe)) {
          stored(maybe); // the commit went through, only its answer was lost
        }
        for (TailedFile file : allFiles()) {
          Checkpoints.Checkpoint checkpoint = checkpoints.get(String.valueOf(file.fileKey));
          if (checkpoint == null) {
            file.rewind(); // never stored: back to where reading it started
          } else {
            file.seek(checkpoint.offset());
          }
        }
        return;
      } catch (KafkaException | IllegalStateException e) {
        problems.warn("Kafka not reachable for log offsets, retrying: {}", e.toString());
        pause(RETRY);
      }
    }
  }

  private void discover() throws IOException {
    for (Path path : finder.find()) {
      TailedFile known = files.get(path);
      Object key;
      try {
        key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      } catch (NoSuchFileException gone) {
        continue;
      }
      if (known != null && Objects.equals(known.fileKey, key)) {
        if (known.size() < known.read()) {
          LOG.info("{} was truncated; reading it from its start", path);
          known.seek(0);
        }
        known.refreshFingerprint();
        continue;
      }
      if (known != null) {
        drain(known); // rotated away: read what is left, then let go
      }
      TailedFile file = open(path, path);
      if (file == null) {
        continue;
      }
      Checkpoints.Checkpoint checkpoint = checkpoints.get(String.valueOf(file.fileKey));
      if (checkpoint != null && file.matches(checkpoint.identity())) {
        file.seek(checkpoint.offset() <= file.size() ? checkpoint.offset() : 0);
      } else if (firstDiscovery && settings.startAt().equals("end")) {
        Long then = presentAtStart == null ? null : presentAtStart.get(file.fileKey);
        // What was there when the collector started is old; what came while it waited is new.
        file.seek(
            presentAtStart == null ? file.size() : then == null ? 0 : Math.min(then, file.size()));
      } else {
        file.seek(0);
      }
      files.put(path, file);
    }
    if (!resumedMoved) {
      resumeMoved();
      resumedMoved = true;
    }
    firstDiscovery = false;
    for (Iterator<Map.Entry<Path, TailedFile>> it = files.entrySet().iterator(); it.hasNext(); ) {
      TailedFile file = it.next().getValue();
      if (!Files.exists(file.path)) {
        it.remove();
        drain(file); // deleted: read what is left through the open channel
      }
    }
    watched.set(files.size() + draining.size());
  }

  /**
   * At start: a file with an offset in Kafka that is no longer under its path was rotated (renamed)
   * while no tailer ran. Found again by its inode among its old directory's files, it is read from
   * its offset to its end — lines written before the rotation are not lost.
   */
  private void resumeMoved() throws IOException {
    java.util.Set<String> tracked = new java.util.HashSet<>();
    for (TailedFile file : allFiles()) {
      tracked.add(String.valueOf(file.fileKey));
    }
    for (Map.Entry<String, Checkpoints.Checkpoint> e : checkpoints.entrySet()) {
      if (tracked.contains(e.getKey())) {
        continue;
      }
      Path dir = Path.of(e.getValue().path()).getParent();
      if (dir == null || !Files.isDirectory(dir)) {
        continue;
      }
      try (java.util.stream.Stream<Path> siblings = Files.list(dir)) {
        for (Path candidate : (Iterable<Path>) siblings::iterator) {
          Object key;
          try {
            key = Files.readAttributes(candidate, BasicFileAttributes.class).fileKey();
          } catch (NoSuchFileException gone) {
            continue;
          }
          if (!e.getKey().equals(String.valueOf(key)) || !Files.isRegularFile(candidate)) {
            continue;
          }
          TailedFile moved = open(candidate, Path.of(e.getValue().path()));
          if (moved != null && moved.matches(e.getValue().identity())) {
            moved.seek(Math.min(e.getValue().offset(), moved.size()));
            drain(moved);
            LOG.info(
                "{} was rotated to {} while stopped; reading its rest",
                e.getValue().path(),
                candidate);
          } else if (moved != null) {
            moved.close();
          }
        }
      }
    }
  }

  /** Opens {@code path}, its records described as coming from {@code describedAs}. */
  private TailedFile open(Path path, Path describedAs) throws IOException {
    return TailedFile.open(
        path,
        FileMeta.of(describedAs, settings.resource()),
        new RecordAssembler(settings.startPattern(), settings.maxLineBytes(), 1000),
        // Room for the runtime's envelope (CRI prefix, JSON) around the longest record.
        settings.maxLineBytes() + 1024);
  }

  /** Reads {@code file} to its end, and on for {@link #ROTATE_WAIT} after, then lets it go. */
  private void drain(TailedFile file) {
    file.drain();
    draining.add(file);
  }

  private List<TailedFile> allFiles() {
    List<TailedFile> all = new ArrayList<>(files.values());
    all.addAll(draining);
    return all;
  }

  /** One file's part of a batch. */
  private static final class Part {
    final EncodedLogs logs = new EncodedLogs(RECORD_BYTES);
    long endOffset = -1;
  }

  /** Reads new lines of every file into records, up to {@link #BATCH_BYTES}. */
  private Map<TailedFile, Part> read() throws IOException {
    Map<TailedFile, Part> batch = new LinkedHashMap<>();
    long budget = BATCH_BYTES;
    long now = System.nanoTime();
    for (TailedFile file : allFiles()) {
      Part part = new Part();
      if (budget > 0) {
        budget -=
            file.readLines(
                budget,
                (bytes, from, to, endOffset, lineCut) ->
                    file.assembler.accept(
                        ContainerLine.parse(bytes, from, to, file.times),
                        endOffset,
                        lineCut,
                        record -> add(part, record)));
      }
      if (file.assembler.holdsLines()
          && now - file.lastLineNanos() > settings.multilineTimeout().toNanos()) {
        file.assembler.flush(record -> add(part, record));
      }
      if (part.endOffset >= 0) {
        batch.put(file, part);
      }
    }
    return batch;
  }

  private void add(Part part, RecordAssembler.Assembled record) {
    logRecords.add(part.logs, record);
    part.endOffset = record.endOffset();
  }

  /** A batch whose transaction is committing on the committer thread. */
  private record Pending(
      Map<TailedFile, Part> batch, List<TailedFile> finished, long records, Future<?> commit) {}

  /**
   * Sends a batch and the files' new offsets in one transaction, whose commit then runs on the
   * committer thread; true if anything was sent.
   */
  private boolean send(Map<TailedFile, Part> batch) throws IOException {
    List<TailedFile> finished = new ArrayList<>();
    for (TailedFile file : draining) {
      if (!batch.containsKey(file)
          && !file.assembler.holdsLines()
          && file.read() >= file.size()
          && file.quietSinceDrained(ROTATE_WAIT.toNanos())) {
        finished.add(file);
      }
    }
    if (batch.isEmpty() && finished.isEmpty()) {
      return false;
    }
    producer.beginTransaction();
    long records = 0;
    for (Map.Entry<TailedFile, Part> e : batch.entrySet()) {
      TailedFile file = e.getKey();
      Part part = e.getValue();
      var resource =
          file.meta.podUid() == null
              ? file.meta.resource()
              : file.meta.with(pods.apply(file.meta.podUid()));
      records += part.logs.records();
      for (byte[] request : part.logs.requests(resource)) {
        producer.send(
            new ProducerRecord<>(
                Topics.OTLP_LOGS, file.meta.service().getBytes(StandardCharsets.UTF_8), request));
      }
      producer.send(
          new ProducerRecord<>(
              Topics.LOG_OFFSETS,
              Checkpoints.key(settings.checkpointId(), file.fileKey),
              Checkpoints.value(file, part.endOffset)));
    }
    for (TailedFile file : finished) {
      producer.send(
          new ProducerRecord<>(
              Topics.LOG_OFFSETS, Checkpoints.key(settings.checkpointId(), file.fileKey), null));
    }
    KafkaProducer<byte[], byte[]> committing = producer;
    pending =
        new Pending(
            batch, finished, records, committer.submit(() -> committing.commitTransaction()));
    return !batch.isEmpty();
  }

  /**
   * Waits for the batch in flight, if any, and marks its lines as stored.
   *
   * @throws KafkaException when its commit did not (or may not have) happen
   */
  private void settle() {
    Pending done = pending;
    if (done == null) {
      return;
    }
    try {
      done.commit().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      uncertain = done;
      throw new KafkaException("interrupted while committing", e);
    } catch (ExecutionException e) {
      uncertain = done;
      throw e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause());
    } finally {
      pending = null;
    }
    stored(done);
  }

  /**
   * Whether the offsets just read back from Kafka hold {@code batch}'s: every file's checkpoint at
   * the batch's end (its lines were new, so no earlier transaction stored that offset), or, for a
   * batch that only let finished files go, none of their checkpoints left.
   */
  private boolean committed(Pending batch) {
    if (batch.batch().isEmpty()) {
      return batch.finished().stream()
          .noneMatch(file -> checkpoints.containsKey(String.valueOf(file.fileKey)));
    }
    for (Map.Entry<TailedFile, Part> e : batch.batch().entrySet()) {
      Checkpoints.Checkpoint checkpoint = checkpoints.get(String.valueOf(e.getKey().fileKey));
      if (checkpoint == null || checkpoint.offset() != e.getValue().endOffset) {
        return false;
      }
    }
    return true;
  }

  /** Marks {@code done}'s lines as stored in Kafka and lets its finished files go. */
  private void stored(Pending done) {
    for (Map.Entry<TailedFile, Part> e : done.batch().entrySet()) {
      e.getKey().commit(e.getValue().endOffset);
      checkpoints.put(
          String.valueOf(e.getKey().fileKey),
          new Checkpoints.Checkpoint(
              e.getKey().path.toString(), e.getKey().identity(), e.getValue().endOffset));
    }
    for (TailedFile file : done.finished()) {
      draining.remove(file);
      checkpoints.remove(String.valueOf(file.fileKey));
      closeQuietly(file);
    }
    shipped.inc(done.records());
  }

  private static void closeQuietly(TailedFile file) {
    try {
      file.close();
    } catch (IOException e) {
      LOG.debug("closing {}", file.path, e);
    }
  }

  private void pause(Duration duration) {
    try {
      stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.countDown();
    }
  }

  /** Whether the tailing thread is running (false once it died of an error). */
  public boolean isHealthy() {
    return healthy && thread.isAlive();
  }

  /** Log records committed to Kafka so far. */
  public long recordsShipped() {
    return (long) shipped.get();
  }

  /** Stops tailing (a batch in flight is committed or aborted), then closes the producer. */
  @Override
  public void close() {
    stop.countDown();
    try {
      thread.join(KAFKA_TIMEOUT.toMillis() + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    committer.shutdownNow();
    producer.close(Duration.ofSeconds(5));
    allFiles().forEach(LogTailer::closeQuietly);
  }
}
