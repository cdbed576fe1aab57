package io.vigil.model.otlp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.vigil.model.json.Json;
import java.io.IOException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Decodes OTLP/JSON (the {@code application/json} encoding of OTLP/HTTP) into protobuf messages,
 * and prints responses.
 *
 * <p>OTLP/JSON differs from the canonical proto3 JSON mapping in one way that matters: trace and
 * span ids are hex strings, not base64. They are converted before handing the tree to {@link
 * JsonFormat}. Unknown fields are ignored, as the OTLP specification requires of receivers.
 */
public final class OtlpJson {
  private static final Set<String> ID_FIELDS =
      Set.of("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id");
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final ObjectMapper MAPPER = Json.mapper();

  private OtlpJson() {}

  /**
   * {@code message} as OTLP/JSON (for responses, which carry no ids: the proto3 JSON mapping with
   * lowerCamelCase names and 64-bit integers as strings, as OTLP/JSON has them).
   */
  public static byte[] print(Message message) {
    try {
      return JsonFormat.printer()
          .omittingInsignificantWhitespace()
          .print(message)
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType(), e);
    }
  }

  /**
   * Merges the OTLP/JSON {@code body} into {@code builder}.
   *
   * @throws InvalidProtocolBufferException with a message naming the problem when the body is not
   *     valid OTLP/JSON
   */
  public static void merge(byte[] body, Message.Builder builder)
      throws InvalidProtocolBufferException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      // Jackson names the (redacted) source inside nested locations; keep only line and column.
      String problem = e.getOriginalMessage().replaceAll("\\[Source: [^;]*; ", "[");
      throw new InvalidProtocolBufferException("not valid JSON" + where + ": " + problem);
    } catch (IOException e) {
      throw new InvalidProtocolBufferException("cannot read JSON: " + e.getMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new InvalidProtocolBufferException("OTLP/JSON body must be a JSON object");
    }
    try {
      hexIdsToBase64(tree);
    } catch (IllegalArgumentException e) {
      throw new InvalidProtocolBufferException(e.getMessage());
    }
    try {
      PARSER.merge(MAPPER.writeValueAsString(tree), builder);
    } catch (JsonProcessingException e) {
      throw new InvalidProtocolBufferException("cannot re-encode JSON: " + e.getMessage());
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (RuntimeException e) {
      // JsonFormat throws unchecked exceptions for some malformed values (e.g. bad numbers).
      throw new InvalidProtocolBufferException("invalid OTLP/JSON: " + e.getMessage());
    }
  }

  private static void hexIdsToBase64(JsonNode node) {
    if (node instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        JsonNode value = field.getValue();
        if (ID_FIELDS.contains(field.getKey()) && value.isTextual()) {
          field.setValue(object.textNode(hexToBase64(field.getKey(), value.asText())));
        } else {
          hexIdsToBase64(value);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (JsonNode element : array) {
        hexIdsToBase64(element);
      }
    }
  }

  private static String hexToBase64(String field, String hex) {
    if (hex.isEmpty()) {
      return hex;
    }
    try {
      return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + ": not a hex id, was '" + hex + "'", e);
    }
  }
}
