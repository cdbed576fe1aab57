package io.vigil.model.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.model.json.Json;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for Vigil's JSON records. A value that does not parse raises {@link
 * SerializationException}, which Kafka Streams routes to its deserialization handler (the DLQ).
 */
public final class JsonSerde<T> implements Serde<T> {
  private final Class<T> type;
  private final ObjectMapper mapper = Json.mapper();

  private JsonSerde(Class<T> type) {
    this.type = type;
  }

  /** A serde for {@code type}. */
  public static <T> JsonSerde<T> of(Class<T> type) {
    return new JsonSerde<>(type);
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return mapper.writeValueAsBytes(data);
      } catch (IOException e) {
        throw new SerializationException(
            "cannot write " + type.getSimpleName() + " for topic " + topic, e);
      }
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return mapper.readValue(bytes, type);
      } catch (JsonProcessingException e) {
        throw new SerializationException(
            "not a valid " + type.getSimpleName() + " on topic " + topic + ": " + Json.describe(e),
            e);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException(
            "not a valid " + type.getSimpleName() + " on topic " + topic + ": " + e.getMessage(),
            e);
      }
    };
  }
}
