package io.vigil.alerting.elasticsearch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;
import java.time.Instant;

/**
 * The records back from the documents {@link Documents} made, one converter per index: what was
 * indexed reads back as the record that was on the topic, so history from Elasticsearch feeds the
 * same adapters as history from Kafka. Pipeline-run and log documents are their records plus {@code
 * event.*} (and the log's id in {@code event.id}); a signal document moved the identity to ECS
 * names, which are moved back.
 */
public final class IndexedRecords {
  private IndexedRecords() {}

  /**
   * The golden-signal window of a {@value ElasticsearchIndexer#SIGNALS} document, with its {@code
   * revision} when it is a late supplement.
   *
   * @throws IllegalArgumentException when the document is not one
   */
  public static GoldenSignal signal(JsonNode doc) {
    JsonNode vigil = doc.path("vigil");
    JsonNode revision = vigil.path("revision");
    try {
      return new GoldenSignal(
          Instant.parse(doc.path("@timestamp").asText()),
          section(doc, "window", GoldenSignal.Window.class),
          text(doc.at("/orchestrator/cluster/name")),
          text(doc.at("/kubernetes/namespace")),
          text(doc.at("/service/name")),
          text(vigil.path("operation")),
          text(doc.at("/host/name")),
          text(doc.at("/kubernetes/pod/name")),
          section(doc, "traffic", GoldenSignal.Traffic.class),
          section(doc, "errors", GoldenSignal.Errors.class),
          section(doc, "latency_ms", GoldenSignal.Latency.class),
          section(doc, "saturation", GoldenSignal.Saturation.class),
          section(doc, "logs", GoldenSignal.Logs.class),
          revision.isNumber() ? revision.asLong() : null);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a signal document: " + e.getMessage(), e);
    }
  }

  /**
   * The pipeline-run, freshness or lag record of a {@value ElasticsearchIndexer#PIPELINES}
   * document.
   *
   * @throws IllegalArgumentException when the document is not one
   */
  public static PipelineRun pipelineRun(JsonNode doc) {
    return read(doc, PipelineRun.class, "pipeline-run");
  }

  /**
   * The log record of a {@value ElasticsearchIndexer#LOGS} document, its id taken back from {@code
   * event.id}.
   *
   * @throws IllegalArgumentException when the document is not one
   */
  public static LogRecord log(JsonNode doc) {
    if (!(doc instanceof ObjectNode object)) {
      throw new IllegalArgumentException("not a log document: not a JSON object");
    }
    ObjectNode record = object.deepCopy();
    record.remove("event");
    record.set("id", doc.at("/event/id"));
    return read(record, LogRecord.class, "log");
  }

  private static <T> T section(JsonNode doc, String field, Class<T> type) {
    JsonNode section = doc.get(field);
    if (section == null || section.isNull()) {
      return null;
    }
    try {
      return Json.mapper().treeToValue(section, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(field + ": " + Json.describe(e), e);
    }
  }

  private static <T> T read(JsonNode doc, Class<T> type, String what) {
    try {
      return Json.mapper().treeToValue(doc, type);
    } catch (JsonProcessingException | RuntimeException e) {
      String message = e instanceof JsonProcessingException j ? Json.describe(j) : e.getMessage();
      throw new IllegalArgumentException("not a " + what + " document: " + message, e);
    }
  }

  private static String text(JsonNode node) {
    return node.isTextual() ? node.asText() : null;
  }
}
