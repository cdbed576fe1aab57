package io.vigil.collector.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/**
 * One line of a container log file, as the kubelet's runtime wrote it: the CRI format ({@code
 * 2021-02-16T09:21:15.518430714Z stdout F message}, {@code P} for a partial line the runtime split)
 * or Docker's json-file format ({@code {"log":"message\n","stream":"stdout","time":"…"}}, partial
 * when {@code log} does not end with a newline). A line in neither format is taken as it is (a
 * plain log file). Pure.
 *
 * @param timeNanos when the runtime read the line, ns since the epoch; 0 when the line has none
 * @param stream {@code stdout}, {@code stderr}, or null
 * @param partial whether the next line continues this one (CRI {@code P}, json-file without
 *     newline)
 * @param content the application's text, without the trailing newline
 */
record ContainerLine(long timeNanos, String stream, boolean partial, String content) {
  private static final JsonFactory JSON = new JsonFactory();

  /** Parses one line (without its {@code \n}); never fails. */
  static ContainerLine parse(byte[] bytes, int from, int to) {
    return parse(bytes, from, to, null);
  }

  /**
   * As {@link #parse(byte[], int, int)}, for the lines of one file in order: {@code times} (or
   * null) remembers the last line's time to the second, which the next lines mostly share.
   */
  static ContainerLine parse(byte[] bytes, int from, int to, FastTime.Memo times) {
    int end = to;
    if (end > from && bytes[end - 1] == '\r') {
      end--;
    }
    if (end > from && bytes[from] == '{') {
      ContainerLine docker = docker(bytes, from, end);
      if (docker != null) {
        return docker;
      }
    }
    ContainerLine cri = cri(bytes, from, end, times);
    if (cri != null) {
      return cri;
    }
    return new ContainerLine(
        0, null, false, new String(bytes, from, end - from, StandardCharsets.UTF_8));
  }

  /** {@code <RFC3339Nano> <stdout|stderr> <P|F> <content>}, or null. */
  private static ContainerLine cri(byte[] b, int from, int to, FastTime.Memo times) {
    int s1 = Bytes.indexOf(b, from, to, (byte) ' ');
    if (s1 < 0 || s1 - from < 20) {
      return null;
    }
    int s2 = Bytes.indexOf(b, s1 + 1, to, (byte) ' ');
    if (s2 < 0) {
      return null;
    }
    String stream = stream(b, s1 + 1, s2);
    if (stream == null) {
      return null;
    }
    // The tag: P or F, possibly followed by more tags after ':' (CRI allows "F:x"), then a space
    // or the end of the line for an empty message.
    if (s2 + 1 >= to) {
      return null;
    }
    byte tag = b[s2 + 1];
    if (tag != 'P' && tag != 'F') {
      return null;
    }
    int s3 = Bytes.indexOf(b, s2 + 1, to, (byte) ' ');
    long nanos = FastTime.parse(b, from, s1, times);
    if (nanos == FastTime.UNKNOWN) {
      nanos = time(new String(b, from, s1 - from, StandardCharsets.US_ASCII));
    }
    if (nanos < 0) {
      return null;
    }
    String content = s3 < 0 ? "" : new String(b, s3 + 1, to - s3 - 1, StandardCharsets.UTF_8);
    return new ContainerLine(nanos, stream, tag == 'P', content);
  }

  /** {@code {"log":…,"stream":…,"time":…}}, or null when it is not such an object. */
  private static ContainerLine docker(byte[] b, int from, int to) {
    String log = null;
    String stream = null;
    String time = null;
    try (JsonParser p = JSON.createParser(b, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_STRING) {
          switch (field) {
            case "log" -> log = p.getText();
            case "stream" -> stream = p.getText();
            case "time" -> time = p.getText();
            default -> {}
          }
        } else {
          p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
    } catch (IOException e) {
      return null; // not JSON: an application's own JSON line in a plain file is taken as is
    }
    if (log == null) {
      return null;
    }
    if (!"stdout".equals(stream) && !"stderr".equals(stream)) {
      stream = null; // the runtime writes only these two; anything else says nothing
    }
    boolean partial = !log.endsWith("\n");
    String content = partial ? log : log.substring(0, log.length() - 1);
    long nanos = time == null ? 0 : Math.max(0, time(time));
    return new ContainerLine(nanos, stream, partial, content);
  }

  /** Nanoseconds since the epoch of an RFC 3339 time, or -1. */
  static long time(String text) {
    Instant instant;
    try {
      instant = Instant.parse(text);
    } catch (DateTimeParseException utcOnly) {
      try {
        instant = OffsetDateTime.parse(text).toInstant(); // a runtime writing its local offset
      } catch (DateTimeParseException e) {
        return -1;
      }
    }
    try {
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  private static final byte[] STDOUT = "stdout".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] STDERR = "stderr".getBytes(StandardCharsets.US_ASCII);

  /** {@code "stdout"} or {@code "stderr"} if {@code b[from, to)} says so (no copy), else null. */
  private static String stream(byte[] b, int from, int to) {
    if (Arrays.equals(b, from, to, STDOUT, 0, STDOUT.length)) {
      return "stdout";
    }
    if (Arrays.equals(b, from, to, STDERR, 0, STDERR.length)) {
      return "stderr";
    }
    return null;
  }
}
