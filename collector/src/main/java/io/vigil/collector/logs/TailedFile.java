package io.vigil.collector.logs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.zip.CRC32;

/**
 * One log file being read: its identity (device and inode, and a checksum of its first bytes so a
 * reused inode is not taken for the old file), the open channel — kept open so a file renamed by
 * rotation or deleted is still read to its end — and two offsets: {@code read}, up to where lines
 * were handed on, and {@code committed}, up to where their records are stored in Kafka.
 */
final class TailedFile implements AutoCloseable {
  /** Bytes of the file's start that identify it besides its inode. */
  static final int FINGERPRINT_BYTES = 64;

  final Path path;
  final Object fileKey;
  final FileMeta meta;
  final RecordAssembler assembler;

  /** The last line's time to the second, for {@link ContainerLine#parse}. */
  final FastTime.Memo times = new FastTime.Memo();

  private final FileChannel channel;
  private final ByteBuffer buffer;
  private long read;
  private long committed;
  private byte[] cutLine;
  private int fingerprintLength;
  private long fingerprint;
  private long lastLineNanos = System.nanoTime();
  private long drainingSinceNanos = Long.MAX_VALUE;

  private TailedFile(
      Path path,
      Object fileKey,
      FileChannel channel,
      FileMeta meta,
      RecordAssembler assembler,
      int bufferBytes) {
    this.path = path;
    this.fileKey = fileKey;
    this.channel = channel;
    this.meta = meta;
    this.assembler = assembler;
    this.buffer = ByteBuffer.allocate(bufferBytes);
  }

  /** Opens {@code path}; null when it vanished in between. */
  static TailedFile open(Path path, FileMeta meta, RecordAssembler assembler, int bufferBytes)
      throws IOException {
    try {
      Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
      TailedFile file = new TailedFile(path, key, channel, meta, assembler, bufferBytes);
      file.fingerprint();
      return file;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** The identity to store with a checkpoint: inode and fingerprint. */
  String identity() {
    return fileKey + "/" + fingerprintLength + ":" + Long.toHexString(fingerprint);
  }

  /**
   * Whether a checkpoint written for {@code identity} is about this file: same inode, and its first
   * bytes as far as they were read then.
   */
  boolean matches(String identity) throws IOException {
    int slash = identity.lastIndexOf('/');
    int colon = identity.lastIndexOf(':');
    if (slash < 0
        || colon < slash
        || !identity.substring(0, slash).equals(String.valueOf(fileKey))) {
      return false;
    }
    int length = Integer.parseInt(identity.substring(slash + 1, colon));
    return Long.toHexString(checksum(length)).equals(identity.substring(colon + 1));
  }

  /** Starts reading (again) at {@code offset}, forgetting anything held. */
  void seek(long offset) {
    read = offset;
    committed = offset;
    cutLine = null;
    assembler.reset();
  }

  long committed() {
    return committed;
  }

  long read() {
    return read;
  }

  /** Records up to {@code offset} are stored. */
  void commit(long offset) {
    committed = Math.max(committed, offset);
  }

  /** Goes back to the last committed offset (a batch was not stored). */
  void rewind() {
    seek(committed);
  }

  long size() throws IOException {
    return channel.size();
  }

  /** Nanos (System.nanoTime) when a line was last read. */
  long lastLineNanos() {
    return lastLineNanos;
  }

  /** Marks the file as rotated away or deleted: read to its end, then let go. */
  void drain() {
    drainingSinceNanos = System.nanoTime();
  }

  /**
   * Whether the file, rotated away or deleted, has been quiet (nothing new read) for {@code
   * waitNanos} since it was: a runtime may still write a few lines through its open file after the
   * kubelet's rename, until it reopens the log under its name.
   */
  boolean quietSinceDrained(long waitNanos) {
    long now = System.nanoTime();
    return now - drainingSinceNanos >= waitNanos && now - lastLineNanos >= waitNanos;
  }

  /** Receives each complete line: its bytes, its end offset, and whether it was cut. */
  interface LineSink {
    void line(byte[] bytes, int from, int to, long endOffset, boolean cut);
  }

  /**
   * Reads complete lines from {@code read} on, up to about {@code budget} bytes, handing each to
   * {@code sink}; an incomplete last line stays for the next call. A line longer than the buffer is
   * cut at the buffer's size, the rest of it skipped, and handed on when its end is found (so its
   * end offset is the line's). Returns the bytes consumed.
   */
  long readLines(long budget, LineSink sink) throws IOException {
    long consumed = 0;
    while (consumed < budget) {
      buffer.clear();
      int n = channel.read(buffer, read);
      if (n <= 0) {
        break;
      }
      byte[] b = buffer.array();
      int lineStart = 0;
      for (int i = Bytes.indexOf(b, 0, n, (byte) '\n');
          i >= 0;
          i = Bytes.indexOf(b, i + 1, n, (byte) '\n')) {
        long end = read + i + 1;
        if (cutLine != null) {
          // The end of a line too long: its start goes out, cut, ending where the line ends.
          sink.line(cutLine, 0, cutLine.length, end, true);
          cutLine = null;
        } else {
          sink.line(b, lineStart, i, end, false);
        }
        lineStart = i + 1;
      }
      if (lineStart == 0 && n == buffer.capacity()) {
        // A full buffer without a newline: a line too long. Keep its start, skip the rest.
        if (cutLine == null) {
          cutLine = java.util.Arrays.copyOf(b, n);
        }
        lineStart = n;
      } else if (lineStart == 0) {
        break; // only an incomplete line: wait for the rest
      }
      read += lineStart;
      consumed += lineStart;
      lastLineNanos = System.nanoTime();
    }
    return consumed;
  }

  private void fingerprint() throws IOException {
    long size = channel.size();
    fingerprintLength = (int) Math.min(size, FINGERPRINT_BYTES);
    fingerprint = checksum(fingerprintLength);
  }

  /** Updates the fingerprint while the file is shorter than {@link #FINGERPRINT_BYTES}. */
  void refreshFingerprint() throws IOException {
    if (fingerprintLength < FINGERPRINT_BYTES) {
      fingerprint();
    }
  }

  private long checksum(int length) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(length);
    while (head.hasRemaining()) {
      if (channel.read(head, head.position()) < 0) {
        break;
      }
    }
    CRC32 crc = new CRC32();
    crc.update(head.array(), 0, head.position());
    return crc.getValue();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
