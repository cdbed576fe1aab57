package io.vigil.model.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.vigil.model.signal.GoldenSignal;
import java.io.IOException;

/**
 * Writes a {@link GoldenSignal} field by field, as the mapper's bean serializer writes it (same
 * fields, order, omitted nulls and number forms: {@code GoldenSignalSerializerTest} compares the
 * two on every kind of record). The processor writes one for every window and live signal; without
 * the bean serializer's property writers that costs a sixth less (5.4 → 4.6 % of its stream thread:
 * BENCHMARKS.md, "Golden signals written field by field"). Reading stays with the bean
 * deserializer.
 */
final class GoldenSignalSerializer extends StdSerializer<GoldenSignal> {
  GoldenSignalSerializer() {
    super(GoldenSignal.class);
  }

  @Override
  public void serialize(GoldenSignal s, JsonGenerator gen, SerializerProvider provider)
      throws IOException {
    char[] instant = new char[30];
    gen.writeStartObject(s);
    gen.writeFieldName("@timestamp");
    IsoInstantSerializer.write(s.timestamp(), instant, gen);
    gen.writeObjectFieldStart("window");
    gen.writeFieldName("start");
    IsoInstantSerializer.write(s.window().start(), instant, gen);
    gen.writeFieldName("end");
    IsoInstantSerializer.write(s.window().end(), instant, gen);
    gen.writeNumberField("seconds", s.window().seconds());
    gen.writeEndObject();
    writeString("cluster", s.cluster(), gen);
    writeString("namespace", s.namespace(), gen);
    writeString("service", s.service(), gen);
    writeString("operation", s.operation(), gen);
    writeString("node", s.node(), gen);
    writeString("pod", s.pod(), gen);
    if (s.traffic() != null) {
      gen.writeObjectFieldStart("traffic");
      gen.writeNumberField("requests", s.traffic().requests());
      gen.writeNumberField("rate_per_s", s.traffic().ratePerS());
      gen.writeEndObject();
    }
    if (s.errors() != null) {
      gen.writeObjectFieldStart("errors");
      gen.writeNumberField("count", s.errors().count());
      gen.writeNumberField("ratio", s.errors().ratio());
      gen.writeEndObject();
    }
    if (s.latencyMs() != null) {
      gen.writeObjectFieldStart("latency_ms");
      writeNumber("p50", s.latencyMs().p50(), gen);
      writeNumber("p90", s.latencyMs().p90(), gen);
      writeNumber("p95", s.latencyMs().p95(), gen);
      writeNumber("p99", s.latencyMs().p99(), gen);
      writeNumber("max", s.latencyMs().max(), gen);
      gen.writeEndObject();
    }
    if (s.saturation() != null) {
      gen.writeObjectFieldStart("saturation");
      writeNumber("cpu_utilization", s.saturation().cpuUtilization(), gen);
      writeNumber("memory_utilization", s.saturation().memoryUtilization(), gen);
      gen.writeEndObject();
    }
    if (s.logs() != null) {
      gen.writeObjectFieldStart("logs");
      gen.writeNumberField("records", s.logs().records());
      gen.writeNumberField("errors", s.logs().errors());
      gen.writeNumberField("rate_per_s", s.logs().ratePerS());
      gen.writeNumberField("error_rate_per_s", s.logs().errorRatePerS());
      gen.writeEndObject();
    }
    if (s.revision() != null) {
      gen.writeNumberField("revision", s.revision());
    }
    gen.writeStringField("id", s.id());
    gen.writeEndObject();
  }

  private static void writeString(String name, String value, JsonGenerator gen) throws IOException {
    if (value != null) {
      gen.writeStringField(name, value);
    }
  }

  private static void writeNumber(String name, Double value, JsonGenerator gen) throws IOException {
    if (value != null) {
      gen.writeNumberField(name, value.doubleValue());
    }
  }
}
