package io.vigil.collector.logs;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.common.v1.KeyValue;
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

  /**
   * {@code LogRecord}'s fields that {@link #addPlain} writes, and {@code AnyValue.string_value}.
   */
  private static final int TIME = 1;

  private static final int SEVERITY_NUMBER = 2;
  private static final int SEVERITY_TEXT = 3;
  private static final int BODY = 5;
  private static final int ATTRIBUTES = 6;
  private static final int OBSERVED_TIME = 11;
  private static final int STRING_VALUE = 1;

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

  /**
   * Appends the record of a line that carried no structure of its own (the common case), written
   * field by field: the same bytes as {@link #add} of a {@code LogRecord} with these fields,
   * without building it, sizing it twice and checking again that text from a Java string is UTF-8.
   *
   * @param severityNumber the OTLP severity number, 0 for none
   * @param severityText the severity as written, in UTF-8, or null
   * @param body the body's text in UTF-8
   * @param attribute the record's one attribute, or null
   */
  void addPlain(
      long timeNanos,
      int severityNumber,
      byte[] severityText,
      byte[] body,
      KeyValue attribute,
      long observedNanos) {
    int value = CodedOutputStream.computeByteArraySize(STRING_VALUE, body);
    int size =
        CodedOutputStream.computeTagSize(BODY)
            + CodedOutputStream.computeUInt32SizeNoTag(value)
            + value;
    if (timeNanos != 0) {
      size += CodedOutputStream.computeFixed64Size(TIME, timeNanos);
    }
    if (severityNumber != 0) {
      size += CodedOutputStream.computeEnumSize(SEVERITY_NUMBER, severityNumber);
    }
    if (severityText != null && severityText.length > 0) {
      size += CodedOutputStream.computeByteArraySize(SEVERITY_TEXT, severityText);
    }
    if (attribute != null) {
      size += CodedOutputStream.computeMessageSize(ATTRIBUTES, attribute);
    }
    if (observedNanos != 0) {
      size += CodedOutputStream.computeFixed64Size(OBSERVED_TIME, observedNanos);
    }
    try {
      int framed =
          CodedOutputStream.computeTagSize(LOG_RECORDS)
              + CodedOutputStream.computeUInt32SizeNoTag(size)
              + size;
      if (pending() > 0 && pending() + framed > chunkBytes) {
        endChunk();
      }
      out.writeTag(LOG_RECORDS, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(size);
      // In field order, as protobuf writes a message; proto3 leaves out zero and empty fields.
      if (timeNanos != 0) {
        out.writeFixed64(TIME, timeNanos);
      }
      if (severityNumber != 0) {
        out.writeEnum(SEVERITY_NUMBER, severityNumber);
      }
      if (severityText != null && severityText.length > 0) {
        out.writeByteArray(SEVERITY_TEXT, severityText);
      }
      out.writeTag(BODY, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      out.writeUInt32NoTag(value);
      out.writeByteArray(STRING_VALUE, body); // a oneof member: written even when empty
      if (attribute != null) {
        out.writeMessage(ATTRIBUTES, attribute);
      }
      if (observedNanos != 0) {
        out.writeFixed64(OBSERVED_TIME, observedNanos);
      }
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
