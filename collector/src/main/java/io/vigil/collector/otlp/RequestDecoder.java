package io.vigil.collector.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.vigil.collector.ingress.IngressService;
import io.vigil.collector.ingress.ReceiverMetrics;
import io.vigil.collector.ingress.Rejection;
import io.vigil.model.otlp.OtlpJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Turns an OTLP/HTTP request (content type, content encoding, body) into an export request, or into
 * a {@link Rejection} that says what is wrong. No I/O beyond reading the given stream.
 */
public final class RequestDecoder {
  /** The two OTLP/HTTP encodings; the response uses the request's. */
  enum Encoding {
    PROTOBUF("application/x-protobuf"),
    JSON("application/json");

    private final String mediaType;

    Encoding(String mediaType) {
      this.mediaType = mediaType;
    }

    String mediaType() {
      return mediaType;
    }
  }

  private RequestDecoder() {}

  /** The encoding named by a {@code Content-Type} header, parameters such as charset ignored. */
  static Encoding encoding(String contentType) throws Rejection {
    String mediaType = mediaType(contentType);
    if (mediaType.equals(Encoding.PROTOBUF.mediaType)) {
      return Encoding.PROTOBUF;
    }
    if (mediaType.equals(Encoding.JSON.mediaType)) {
      return Encoding.JSON;
    }
    throw Rejection.unsupportedMediaType(
        "unsupported Content-Type '"
            + (contentType == null ? "" : contentType)
            + "', use application/x-protobuf or application/json");
  }

  /** The encoding to answer in when the request's is unknown: JSON if it looks like JSON. */
  static Encoding responseEncoding(String contentType) {
    return mediaType(contentType).contains("json") ? Encoding.JSON : Encoding.PROTOBUF;
  }

  /**
   * Reads the body, at most {@code maxBytes} on the wire and after decompression.
   *
   * @param contentLength the {@code Content-Length} header or null (chunked)
   * @param contentEncoding the {@code Content-Encoding} header or null
   */
  public static byte[] readBody(
      InputStream in, String contentLength, String contentEncoding, int maxBytes)
      throws Rejection, IOException {
    boolean gzip = gzip(contentEncoding);
    if (contentLength != null) {
      long declared;
      try {
        declared = Long.parseLong(contentLength.trim());
      } catch (NumberFormatException e) {
        throw Rejection.malformed("invalid Content-Length '" + contentLength + "'");
      }
      if (declared > maxBytes) {
        throw tooLarge(declared + " bytes", maxBytes);
      }
    }
    byte[] raw = readAtMost(in, maxBytes);
    if (raw == null) {
      throw tooLarge("more than " + maxBytes + " bytes", maxBytes);
    }
    if (!gzip) {
      return raw;
    }
    try (InputStream unzipped = new GZIPInputStream(new ByteArrayInputStream(raw))) {
      byte[] body = readAtMost(unzipped, maxBytes);
      if (body == null) {
        throw tooLarge("more than " + maxBytes + " bytes after gunzip", maxBytes);
      }
      return body;
    } catch (ZipException | EOFException e) {
      throw Rejection.malformed("cannot gunzip body (Content-Encoding: gzip): " + e.getMessage());
    }
  }

  /**
   * The batch a receiver stores for {@code body}, a {@code signal} export request in {@code
   * encoding}: a plain protobuf request read from its wire format ({@link WireScan}), anything else
   * decoded in full and its ids and times checked ({@link FutureTimes#batch}). Every OTLP receiver
   * goes through here, so none can skip the scan or the checks.
   *
   * @throws Rejection when the body cannot be decoded, or every item had a malformed id
   */
  static IngressService.Batch batch(
      OtlpSignal signal, Encoding encoding, byte[] body, long maxSkewNanos, ReceiverMetrics metrics)
      throws Rejection {
    if (encoding == Encoding.PROTOBUF) {
      IngressService.Batch plain =
          WireScan.batch(signal, body, System.currentTimeMillis() * 1_000_000L, maxSkewNanos);
      if (plain != null) {
        return plain;
      }
    }
    Message request = decode(signal, encoding, body);
    byte[] encoded = encoding == Encoding.PROTOBUF ? body : null;
    return FutureTimes.batch(signal, request, encoded, maxSkewNanos, metrics, encoding);
  }

  /** Decodes {@code body} as {@code signal}'s export request in {@code encoding}. */
  static Message decode(OtlpSignal signal, Encoding encoding, byte[] body) throws Rejection {
    String what =
        (encoding == Encoding.PROTOBUF ? "OTLP protobuf " : "OTLP/JSON ") + signal.requestType();
    Message request;
    try {
      if (encoding == Encoding.PROTOBUF) {
        // An empty body is the encoding of an empty message: a valid request with no data.
        request = signal.parseProtobuf(body);
      } else {
        Message.Builder builder = signal.newRequestBuilder();
        OtlpJson.merge(body, builder);
        request = builder.build();
      }
    } catch (InvalidProtocolBufferException e) {
      throw Rejection.malformed("cannot decode " + what + ": " + e.getMessage());
    }
    return request; // malformed ids are left to OtlpIds.filter: partial success, not a refusal
  }

  public static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semicolon = contentType.indexOf(';');
    String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return type.trim().toLowerCase(Locale.ROOT);
  }

  public static boolean gzip(String contentEncoding) throws Rejection {
    if (contentEncoding == null) {
      return false;
    }
    String coding = contentEncoding.trim().toLowerCase(Locale.ROOT);
    if (coding.isEmpty() || coding.equals("identity")) {
      return false;
    }
    if (coding.equals("gzip") || coding.equals("x-gzip")) {
      return true;
    }
    throw Rejection.unsupportedEncoding(
        "unsupported Content-Encoding '" + contentEncoding + "', use gzip or none");
  }

  /** All of {@code in}, or null if it holds more than {@code max} bytes. */
  private static byte[] readAtMost(InputStream in, int max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 64 * 1024));
    byte[] buffer = new byte[16 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) != -1) {
      total += n;
      if (total > max) {
        return null;
      }
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  private static Rejection tooLarge(String size, int maxBytes) {
    return Rejection.tooLarge(
        "request body of "
            + size
            + " exceeds the limit of "
            + maxBytes
            + " bytes (collector.otlp.http.max_body_bytes)");
  }
}
