package io.vigil.collector.ingress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.CodedOutputStream;
import io.vigil.model.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Encodes the {@code google.rpc.Status} message OTLP/HTTP puts in every 4xx/5xx body. The message
 * has two fields that matter here (1: {@code int32 code}, 2: {@code string message}), so it is
 * written by hand instead of pulling in the googleapis protos.
 */
public final class StatusBody {
  private static final ObjectMapper MAPPER = Json.mapper();

  private StatusBody() {}

  /** The protobuf encoding of {@code Status{code, message}}. */
  public static byte[] protobuf(int code, String message) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      if (code != 0) {
        out.writeInt32(1, code);
      }
      if (!message.isEmpty()) {
        out.writeString(2, message);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen writing to memory
    }
    return bytes.toByteArray();
  }

  /** The OTLP/JSON encoding: {@code {"code":3,"message":"…"}}. */
  public static byte[] json(int code, String message) {
    ObjectNode status = MAPPER.createObjectNode();
    status.put("code", code);
    status.put("message", message);
    try {
      return MAPPER.writeValueAsBytes(status);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
