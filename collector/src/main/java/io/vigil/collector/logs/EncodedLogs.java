package io.vigil.collector.logs;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One file's log records of a batch, encoded as they are read: each record goes at once into the
 * wire form of a {@code ScopeLogs}' {@code log_records}, in chunks of at most {@code chunkBytes}. A
 * batch then holds a few megabytes of bytes rather than a graph of objects per record, which a
 * small heap kept copying and promoting while the batch was read and committed (BENCHMARKS.md, "A
 * cold log tailer's garbage").
 *
 * <p>{@link #requests} wraps each chunk as a whole {@code ExportLogsServiceRequest} of one resource
 * and one scope: the same bytes as building that message with the records and serializing it.
 */
final class EncodedLogs {
  /** {@code ExportLogsServiceRequest.resource_logs}, {@code ResourceLogs.scope_logs}. */
  private static final int RESOURCE_LOGS = 1;

  private static final int RESOURCE = 1;
  private static final int SCOPE_LOGS = 2;
  private static final int LOG_RECORDS = 2;

  private final int chunkBytes;
  private final List<byte[]> chunks = new ArrayList<>();
  private final ByteArrayOutputStream current = new ByteArrayOutputStream();
  private CodedOutputStream out = CodedOutputStream.newInstance(current, 8192);
  private int records;

  EncodedLogs(int chunkBytes) {
    this.chunkBytes = chunkBytes;
  }

  /** Appends {@code record}, in a new chunk if the current one would grow past the limit. */
  void add(LogRecord record) {
    try {
      int framed = CodedOutputStream.computeMessageSize(LOG_RECORDS, record);
      if (pending() > 0 && pending() + framed > chunkBytes) {
        endChunk();
      }
      out.writeMessage(LOG_RECORDS, record);
      records++;
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
  }

  /** Records added. */
  int records() {
    return records;
  }

  /**
   * Each chunk as the bytes of an {@code ExportLogsServiceRequest} of {@code resource}; the records
   * are given up (this holds nothing afterwards).
   */
  List<byte[]> requests(Resource resource) {
    if (pending() > 0) {
      endChunk();
    }
    List<byte[]> requests = new ArrayList<>(chunks.size());
    for (byte[] scopeLogs : chunks) {
      requests.add(request(resource, scopeLogs));
    }
    chunks.clear();
    return requests;
  }

  /** Bytes of the current chunk, written or still buffered. */
  private int pending() {
    return out.getTotalBytesWritten();
  }

  private void endChunk() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    chunks.add(current.toByteArray());
    current.reset();
    out = CodedOutputStream.newInstance(current, 8192);
  }

  /** {@code {resource_logs: {resource, scope_logs: {log_records…}}}} around {@code scopeLogs}. */
  static byte[] request(Resource resource, byte[] scopeLogs) {
    int resourceLogs =
        CodedOutputStream.computeMessageSize(RESOURCE, resource)
            + CodedOutputStream.computeByteArraySize(SCOPE_LOGS, scopeLogs);
    byte[] bytes =
        new byte
            [CodedOutputStream.computeTagSize(RESOURCE_LOGS)
                + CodedOutputStream.computeUInt32SizeNoTag(resourceLogs)
                + resourceLogs];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeTag(RESOURCE_LOGS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(resourceLogs);
      out.writeMessage(RESOURCE, resource);
      out.writeByteArray(SCOPE_LOGS, scopeLogs);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes;
  }
}
