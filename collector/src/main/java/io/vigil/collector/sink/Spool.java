package io.vigil.collector.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A bounded, durable FIFO of records on disk: segment files of framed records ({@code length,
 * crc32c, topic, key, value}), appended and fsynced before {@link #append} returns, read from a
 * cursor that is itself written to disk when {@link #advance} is called. A torn record at the end
 * of the last segment (a crash mid-write) is cut off at start; a fully read segment is deleted, and
 * once everything is read the spool starts a new segment, so a drained spool holds no data on disk.
 *
 * <p>A full disk: an append that cannot be written is cut back off the segment (what follows it
 * stays readable) and refused, the spool says it {@link #writeFailure() cannot write} until an
 * append succeeds or a read frees space. The cursor lives in a file of two checksummed slots,
 * written in place in turn, so advancing (which frees the space) needs no new disk block.
 * Thread-safe.
 */
public final class Spool implements AutoCloseable {
  static final long SEGMENT_BYTES = 64L * 1024 * 1024;

  /** The cursor of versions before the slots: {@code "segment offset"}, replaced atomically. */
  private static final String OLD_CURSOR = "cursor";

  private static final String CURSOR = "cursor.slots";
  private static final int SLOT_BYTES = 32; // sequence, segment, offset, crc32c, padding

  /** How long a failed write keeps the spool saying it cannot write, unless space is freed. */
  static final Duration WRITE_RETRY = Duration.ofSeconds(5);

  /** A position: segment number and byte offset in it. */
  public record Position(long segment, long offset) {}

  private final Path dir;
  private final long maxBytes;
  private final TreeMap<Long, Long> segments = new TreeMap<>(); // number -> size
  private FileChannel writing;
  private long writingNumber;
  private Position cursor;
  private long bytes;
  private FileChannel cursorFile;
  private long cursorSequence;
  private String writeFailure;
  private long writeFailedAt;

  private Spool(Path dir, long maxBytes) {
    this.dir = dir;
    this.maxBytes = maxBytes;
  }

  /** Opens (or creates) the spool in {@code dir}, holding at most {@code maxBytes}. */
  public static Spool open(Path dir, long maxBytes) throws IOException {
    Files.createDirectories(dir);
    Spool spool = new Spool(dir, maxBytes);
    spool.recover();
    return spool;
  }

  private void recover() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.endsWith(".seg")) {
          segments.put(Long.parseLong(name.substring(0, name.length() - 4)), Files.size(file));
        }
      }
    }
    cursor = readCursor();
    openCursorFile();
    if (!segments.isEmpty()) {
      long last = segments.lastKey();
      long valid = validLength(last);
      if (valid < segments.get(last)) {
        try (FileChannel ch = FileChannel.open(segment(last), StandardOpenOption.WRITE)) {
          ch.truncate(valid); // a record torn by a crash: never acknowledged, so never promised
        }
        segments.put(last, valid);
      }
    }
    segments.headMap(cursor.segment()).keySet().forEach(n -> delete(n));
    segments.headMap(cursor.segment()).clear();
    writingNumber = segments.isEmpty() ? Math.max(cursor.segment(), 0) : segments.lastKey();
    if (!segments.containsKey(writingNumber)) {
      segments.put(writingNumber, 0L);
    }
    writing =
        FileChannel.open(
            segment(writingNumber), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    writing.position(segments.get(writingNumber));
    bytes = 0;
    for (var e : segments.entrySet()) {
      bytes += e.getKey() == cursor.segment() ? e.getValue() - cursor.offset() : e.getValue();
    }
  }

  /** Bytes not read yet. */
  public synchronized long bytes() {
    return bytes;
  }

  /** Whether nothing is waiting to be read. */
  public synchronized boolean isEmpty() {
    return bytes == 0;
  }

  /** Whether the spool holds as much as it may. */
  public synchronized boolean isFull() {
    return bytes >= maxBytes;
  }

  /**
   * Why the last append could not be written (a full disk: {@code "No space left on device"}), or
   * null when it could, when a read has freed space since, or when it is over {@link #WRITE_RETRY}
   * old (space may have been freed by others: worth another try).
   */
  public synchronized String writeFailure() {
    boolean recent = System.nanoTime() - writeFailedAt <= WRITE_RETRY.toNanos();
    return recent ? writeFailure : null;
  }

  /**
   * Appends {@code records} and forces them to disk.
   *
   * @throws SinkException when they do not fit ({@code retryable}: the sender should come back)
   * @throws IOException when they cannot be written (the disk is full): nothing of them is kept
   */
  public synchronized void append(List<SinkRecord> records) throws IOException, SinkException {
    long size = 0;
    for (SinkRecord r : records) {
      size += frameSize(r);
    }
    if (bytes + size > maxBytes) {
      throw SinkException.unavailable(
          "the spool is full (" + bytes + " of " + maxBytes + " bytes)", null);
    }
    if (segments.get(writingNumber) > 0 && segments.get(writingNumber) + size > SEGMENT_BYTES) {
      roll();
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) size);
    for (SinkRecord r : records) {
      frame(buffer, r);
    }
    buffer.flip();
    long start = segments.get(writingNumber);
    try {
      while (buffer.hasRemaining()) {
        writing.write(buffer);
      }
      writing.force(false);
    } catch (IOException e) {
      writeFailure = String.valueOf(e.getMessage());
      writeFailedAt = System.nanoTime();
      try {
        writing.truncate(start); // what was written of these must not precede the next append
        writing.position(start);
      } catch (IOException cut) {
        e.addSuppressed(cut);
        writeFailure = "cannot cut a failed write off segment " + writingNumber + ": " + cut;
        throw new IOException(writeFailure, e); // the spool cannot go on appending safely
      }
      throw e;
    }
    writeFailure = null;
    segments.merge(writingNumber, size, Long::sum);
    bytes += size;
  }

  /** Goes on in a new segment; the old one stays until the cursor has passed it. */
  private void roll() throws IOException {
    FileChannel next =
        FileChannel.open(
            segment(writingNumber + 1), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    writing.close();
    writing = next;
    writingNumber++;
    segments.put(writingNumber, 0L);
  }

  /** Up to about {@code maxBytes} of records from the cursor on, and where they end. */
  public synchronized Read read(long maxBytes) throws IOException {
    List<SinkRecord> records = new ArrayList<>();
    Position at = cursor;
    long taken = 0;
    while (taken < maxBytes && segments.containsKey(at.segment())) {
      long size = segments.get(at.segment());
      if (at.offset() >= size) {
        Long next = segments.higherKey(at.segment());
        if (next == null) {
          break;
        }
        at = new Position(next, 0);
        continue;
      }
      try (FileChannel ch = FileChannel.open(segment(at.segment()), StandardOpenOption.READ)) {
        long offset = at.offset();
        while (offset < size && taken < maxBytes) {
          ByteBuffer header = ByteBuffer.allocate(8);
          ch.read(header, offset);
          header.flip();
          int length = header.getInt();
          ByteBuffer body = ByteBuffer.allocate(length);
          ch.read(body, offset + 8);
          body.flip();
          records.add(unframe(body));
          offset += 8 + length;
          taken += 8 + length;
        }
        at = new Position(at.segment(), offset);
      }
    }
    return new Read(records, at, taken);
  }

  /** Records read, the position after them, and their size in the spool. */
  public record Read(List<SinkRecord> records, Position end, long bytes) {}

  /**
   * Marks everything before {@code end} as done: stored on disk, whole segments deleted; when that
   * was everything, the spool goes on in a new segment and deletes the last one too.
   */
  public synchronized void advance(Read read) throws IOException {
    Position end = read.end();
    if (bytes == read.bytes() && end.segment() == writingNumber) {
      try {
        roll(); // nothing left to read: the written segment's space can go back to the disk
        end = new Position(writingNumber, 0);
      } catch (IOException e) {
        // no new segment now (no inode left?): the next drained read tries again
      }
    }
    writeCursor(end);
    cursor = end;
    bytes -= read.bytes();
    for (Long done : new ArrayList<>(segments.headMap(cursor.segment()).keySet())) {
      delete(done);
      segments.remove(done);
      writeFailure = null; // space freed: worth another try
    }
  }

  /** The cursor from the slots file (or an older version's cursor file), or the start. */
  private Position readCursor() throws IOException {
    Path slots = dir.resolve(CURSOR);
    if (Files.exists(slots)) {
      ByteBuffer both = ByteBuffer.wrap(Files.readAllBytes(slots));
      Position best = null;
      for (int slot = 0; slot + SLOT_BYTES <= both.limit(); slot += SLOT_BYTES) {
        long sequence = both.getLong(slot);
        CRC32C crc = new CRC32C();
        crc.update(both.array(), slot, 24);
        if ((int) crc.getValue() == both.getInt(slot + 24) && sequence >= cursorSequence) {
          cursorSequence = sequence;
          best = new Position(both.getLong(slot + 8), both.getLong(slot + 16));
        }
      }
      if (best != null) {
        return best;
      }
    }
    Path old = dir.resolve(OLD_CURSOR);
    if (Files.exists(old)) {
      String[] parts = Files.readString(old, StandardCharsets.US_ASCII).trim().split(" ");
      return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }
    return new Position(segments.isEmpty() ? 0 : segments.firstKey(), 0);
  }

  /**
   * The slots file, both slots allocated (so that writing them later needs no new disk block) and
   * the current cursor in one of them; an older version's cursor file is no longer needed.
   */
  private void openCursorFile() throws IOException {
    FileChannel file =
        FileChannel.open(
            dir.resolve(CURSOR),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    if (file.size() < 2 * SLOT_BYTES) {
      ByteBuffer zeros = ByteBuffer.allocate(2 * SLOT_BYTES);
      while (zeros.hasRemaining()) {
        file.write(zeros, zeros.position());
      }
    }
    cursorFile = file;
    writeCursor(cursor);
    Files.deleteIfExists(dir.resolve(OLD_CURSOR));
  }

  /**
   * Writes {@code at} over the older of the two slots and forces it: a write torn by a crash fails
   * its checksum, and the other slot still holds the cursor before it.
   */
  private void writeCursor(Position at) throws IOException {
    long sequence = cursorSequence + 1;
    ByteBuffer slot = ByteBuffer.allocate(SLOT_BYTES);
    slot.putLong(sequence).putLong(at.segment()).putLong(at.offset());
    CRC32C crc = new CRC32C();
    crc.update(slot.array(), 0, 24);
    slot.putInt((int) crc.getValue()).flip();
    long position = (sequence % 2) * SLOT_BYTES;
    while (slot.hasRemaining()) {
      cursorFile.write(slot, position + slot.position());
    }
    cursorFile.force(false);
    cursorSequence = sequence;
  }

  /** The length of the well-formed records at the start of segment {@code n}. */
  private long validLength(long n) throws IOException {
    long size = segments.get(n);
    try (FileChannel ch = FileChannel.open(segment(n), StandardOpenOption.READ)) {
      long offset = 0;
      while (offset + 8 <= size) {
        ByteBuffer header = ByteBuffer.allocate(8);
        ch.read(header, offset);
        header.flip();
        int length = header.getInt();
        int crc = header.getInt();
        if (length < 12 || offset + 8 + length > size) {
          break;
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        ch.read(body, offset + 8);
        CRC32C check = new CRC32C();
        check.update(body.array(), 0, length);
        if ((int) check.getValue() != crc) {
          break;
        }
        offset += 8 + length;
      }
      return offset;
    }
  }

  private static long frameSize(SinkRecord r) {
    return 8
        + 12L
        + r.topic().getBytes(StandardCharsets.UTF_8).length
        + (r.key() == null ? 0 : r.key().length)
        + r.value().length;
  }

  private static void frame(ByteBuffer out, SinkRecord r) {
    byte[] topic = r.topic().getBytes(StandardCharsets.UTF_8);
    int keyLength = r.key() == null ? -1 : r.key().length;
    int length = 12 + topic.length + Math.max(0, keyLength) + r.value().length;
    ByteBuffer body = ByteBuffer.allocate(length);
    body.putInt(topic.length).put(topic).putInt(keyLength);
    if (r.key() != null) {
      body.put(r.key());
    }
    body.putInt(r.value().length).put(r.value());
    CRC32C crc = new CRC32C();
    crc.update(body.array(), 0, length);
    out.putInt(length).putInt((int) crc.getValue()).put(body.array());
  }

  private static SinkRecord unframe(ByteBuffer body) {
    byte[] topic = new byte[body.getInt()];
    body.get(topic);
    int keyLength = body.getInt();
    byte[] key = null;
    if (keyLength >= 0) {
      key = new byte[keyLength];
      body.get(key);
    }
    byte[] value = new byte[body.getInt()];
    body.get(value);
    return new SinkRecord(new String(topic, StandardCharsets.UTF_8), key, value);
  }

  private Path segment(long n) {
    return dir.resolve(String.format("%020d.seg", n));
  }

  private void delete(long n) {
    try {
      Files.deleteIfExists(segment(n));
    } catch (IOException e) {
      // left behind; the next start deletes it again
    }
  }

  @Override
  public synchronized void close() throws IOException {
    try (FileChannel c = cursorFile) {
      writing.close();
    }
  }
}
