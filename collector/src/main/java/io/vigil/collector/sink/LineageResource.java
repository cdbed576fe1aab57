package io.vigil.collector.sink;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vigil.model.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The collector's {@code resource} (cluster, node, environment) on an OpenLineage RunEvent, as a
 * run facet of its own: {@code run.facets.vigil_resource = {_producer, _schemaURL, attributes:
 * {k8s.cluster.name: …}}}, so a pipeline's runs from many clusters stay apart downstream. A custom
 * facet is how OpenLineage carries what its spec has no field for; consumers that do not know it
 * read past it.
 *
 * <p>Inserted into the event's bytes where the facet belongs, the rest left byte for byte as the
 * sender wrote it (no re-serialization: numbers, key order and escapes stay theirs). An event that
 * already has a {@code vigil_resource} facet, or that cannot be read, is stored as it came. Pure.
 */
final class LineageResource {
  /** The facet's name: custom facets are prefixed with their producer's name. */
  static final String FACET = "vigil_resource";

  private static final String PRODUCER = "https://github.com/vigil/collector";
  private static final String SCHEMA_URL =
      "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunFacet";

  /** The facet as an object member, {@code "vigil_resource":{…}}. */
  private final byte[] member;

  LineageResource(Map<String, String> attributes) {
    Map<String, Object> facet = new LinkedHashMap<>();
    facet.put("_producer", PRODUCER);
    facet.put("_schemaURL", SCHEMA_URL);
    facet.put("attributes", attributes);
    try {
      byte[] object = Json.mapper().writeValueAsBytes(Map.of(FACET, facet));
      member = Arrays.copyOfRange(object, 1, object.length - 1); // without the braces
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the lineage resource facet", e);
    }
  }

  /** {@code event} with the facet; {@code event} itself when it has one or cannot be read. */
  byte[] addTo(byte[] event) {
    try {
      return add(event);
    } catch (IOException e) {
      return event;
    }
  }

  private byte[] add(byte[] event) throws IOException {
    try (JsonParser parser = Json.mapper().getFactory().createParser(event)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return event;
      }
      // Top level: find "run".
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        if (parser.nextToken() == JsonToken.START_OBJECT && field.equals("run")) {
          return intoRun(parser, event);
        }
        parser.skipChildren();
      }
      return event;
    }
  }

  /** The parser is at the start of {@code run}: the facet goes into its {@code facets}. */
  private byte[] intoRun(JsonParser parser, byte[] event) throws IOException {
    int runStart = offsetAfter(parser);
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String field = parser.currentName();
      JsonToken value = parser.nextToken();
      if (field.equals("facets")) {
        if (value != JsonToken.START_OBJECT) {
          return event; // not an object: leave the event as the sender wrote it
        }
        int facetsStart = offsetAfter(parser);
        boolean empty = true;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          if (parser.currentName().equals(FACET)) {
            return event;
          }
          empty = false;
          parser.nextToken();
          parser.skipChildren();
        }
        return inserted(event, facetsStart, member, empty ? "" : ",");
      }
      parser.skipChildren();
    }
    // No facets yet: "facets":{"vigil_resource":{…}} as run's first member.
    byte[] facets = concat(ascii("\"facets\":{"), member, ascii("}"));
    return inserted(
        event, runStart, facets, event[firstNonBlank(event, runStart)] == '}' ? "" : ",");
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** The byte offset just past the token the parser is at (an object's opening brace). */
  private static int offsetAfter(JsonParser parser) {
    return (int) parser.currentTokenLocation().getByteOffset() + 1;
  }

  private static int firstNonBlank(byte[] b, int from) {
    int i = from;
    while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
      i++;
    }
    return Math.min(i, b.length - 1);
  }

  private static byte[] inserted(byte[] event, int at, byte[] text, String separator) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(event.length + text.length + 1);
    out.write(event, 0, at);
    out.writeBytes(text);
    out.writeBytes(ascii(separator));
    out.write(event, at, event.length - at);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
