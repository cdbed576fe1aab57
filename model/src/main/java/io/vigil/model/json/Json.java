package io.vigil.model.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The one Jackson configuration every Vigil record goes through. */
public final class Json {
  private static final ObjectMapper MAPPER =
      beanMapper()
          .addModule(new SimpleModule("vigil-signals").addSerializer(new GoldenSignalSerializer()))
          .build();

  /**
   * The configuration without the field-by-field serializer of golden signals: what {@link
   * GoldenSignalSerializer} must write the same as.
   */
  static JsonMapper.Builder beanMapper() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .addModule(new SimpleModule("vigil-instants").addSerializer(new IsoInstantSerializer()))
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .serializationInclusion(JsonInclude.Include.NON_NULL);
  }

  /**
   * Shared mapper: ISO-8601 timestamps (instants as {@code ISO_INSTANT} writes them, {@link
   * IsoInstantSerializer}), golden signals written field by field ({@link GoldenSignalSerializer}),
   * nulls omitted, unknown fields tolerated on read so that a newer producer does not break an
   * older consumer.
   */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * What went wrong parsing, with line and column but without Jackson's "[Source: REDACTED …]"
   * suffix: {@code Unexpected character ('o' …) (line 1, column 2)}.
   */
  public static String describe(JsonProcessingException e) {
    if (e.getLocation() == null) {
      return e.getOriginalMessage();
    }
    return e.getOriginalMessage()
        + " (line "
        + e.getLocation().getLineNr()
        + ", column "
        + e.getLocation().getColumnNr()
        + ")";
  }

  private Json() {}
}
