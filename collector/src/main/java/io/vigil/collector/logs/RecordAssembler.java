package io.vigil.collector.logs;

import com.google.re2j.Pattern;
import java.util.function.Consumer;

/**
 * Turns the lines of one file into log records, in two steps: the pieces of a line the runtime
 * split (CRI {@code P}, json-file without newline) are joined; then, when a start pattern is set,
 * the lines of one event (a Java stack trace, a Go panic) are joined: a line matching the pattern
 * starts a record, the lines that do not are appended to it with {@code \n} (a line that does not
 * match with no record started before it is a record of its own, as in Fluent Bit). A record goes
 * out when the next one starts, when {@code maxLines} are joined, or when its file has been quiet
 * for the flush timeout ({@link #flush}). A record longer than {@code maxBytes} is cut there.
 *
 * <p>Each record carries the file offset just after its last line, which is what may be
 * checkpointed once the record is stored: the lines of a record still being assembled are read
 * again after a restart.
 */
final class RecordAssembler {
  /** A finished record. {@code cut}: it was longer than the limit and lost its end. */
  record Assembled(long timeNanos, String stream, String content, long endOffset, boolean cut) {}

  private final Pattern start;
  private final int maxBytes;
  private final int maxLines;

  // the line being joined from runtime pieces
  private StringBuilder pieces;
  private long piecesTime;
  private String piecesStream;
  private boolean piecesCut;

  // the multiline record being joined
  private StringBuilder record;
  private long recordTime;
  private String recordStream;
  private long recordEnd;
  private int recordLines;
  private boolean recordCut;

  RecordAssembler(Pattern start, int maxBytes, int maxLines) {
    this.start = start;
    this.maxBytes = maxBytes;
    this.maxLines = maxLines;
  }

  /** Takes the next line, which ends at {@code endOffset}; finished records go to {@code out}. */
  void accept(ContainerLine line, long endOffset, boolean lineCut, Consumer<Assembled> out) {
    if (pieces == null && !line.partial()) {
      physical(line.timeNanos(), line.stream(), line.content(), lineCut, endOffset, out);
      return;
    }
    if (pieces == null) {
      pieces = new StringBuilder();
      piecesTime = line.timeNanos();
      piecesStream = line.stream();
      piecesCut = false;
    }
    piecesCut |= lineCut | append(pieces, line.content());
    if (line.partial()) {
      return;
    }
    String joined = pieces.toString();
    pieces = null;
    physical(piecesTime, piecesStream, joined, piecesCut, endOffset, out);
  }

  private void physical(
      long time, String stream, String content, boolean cut, long end, Consumer<Assembled> out) {
    if (content.length() > maxBytes) {
      content = content.substring(0, maxBytes);
      cut = true;
    }
    if (start == null) {
      out.accept(new Assembled(time, stream, content, end, cut));
      return;
    }
    boolean starts = start.matcher(content).find();
    if (!starts && record != null) {
      recordCut |= cut | append(record.append('\n'), content);
      recordEnd = end;
      if (++recordLines >= maxLines) {
        emit(out);
      }
      return;
    }
    emit(out);
    if (!starts) {
      // Before any line that starts a record (the top of a file): a record of its own.
      out.accept(new Assembled(time, stream, content, end, cut));
      return;
    }
    record = new StringBuilder();
    recordCut = cut | append(record, content);
    recordTime = time;
    recordStream = stream;
    recordEnd = end;
    recordLines = 1;
  }

  /** Sends the multiline record being joined, if any (its file went quiet). */
  void flush(Consumer<Assembled> out) {
    emit(out);
  }

  /** Whether lines are held back, waiting for the rest of their record. */
  boolean holdsLines() {
    return pieces != null || record != null;
  }

  /** Forgets everything held (the file is read again from its checkpoint). */
  void reset() {
    pieces = null;
    record = null;
  }

  private void emit(Consumer<Assembled> out) {
    if (record == null) {
      return;
    }
    out.accept(new Assembled(recordTime, recordStream, record.toString(), recordEnd, recordCut));
    record = null;
  }

  /** Appends within the limit; true when something had to be cut. */
  private boolean append(StringBuilder into, String text) {
    int room = maxBytes - into.length();
    if (text.length() <= room) {
      into.append(text);
      return false;
    }
    if (room > 0) {
      into.append(text, 0, room);
    }
    return true;
  }
}
