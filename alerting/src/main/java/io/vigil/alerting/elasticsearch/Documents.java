package io.vigil.alerting.elasticsearch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.model.alert.AlertTransition;
import io.vigil.model.json.Json;
import io.vigil.model.log.LogRecord;
import io.vigil.model.pipeline.PipelineRun;
import io.vigil.model.signal.GoldenSignal;

/**
 * Turns Vigil records into Elasticsearch documents with ECS field names: {@code service.name},
 * {@code kubernetes.namespace}, {@code orchestrator.cluster.name}, {@code event.*}, {@code
 * message}. Signal measurements keep their record names ({@code errors.ratio}, {@code
 * latency_ms.p99}, …); alert fields keep Alertmanager's names ({@code fingerprint}, {@code
 * startsAt}, …); the operation goes to {@code vigil.operation}.
 */
public final class Documents {
  private Documents() {}

  /** The document for a golden-signal window; its id is {@link GoldenSignal#id()}. */
  public static IndexDocument signal(String target, GoldenSignal signal) {
    ObjectNode doc = Json.mapper().createObjectNode();
    doc.put("@timestamp", signal.timestamp().toString());
    ObjectNode event = doc.putObject("event");
    event.put("id", signal.id());
    event.put("kind", "metric");
    event.put("dataset", "vigil.signals");
    identity(doc, signal.cluster(), signal.namespace(), signal.service(), signal.operation());
    if (signal.node() != null) {
      doc.withObjectProperty("host").put("name", signal.node());
    }
    if (signal.pod() != null) {
      doc.withObjectProperty("kubernetes").withObjectProperty("pod").put("name", signal.pod());
    }
    ObjectNode vigil = doc.withObjectProperty("vigil");
    vigil.put("series", signal.seriesKey());
    if (signal.revision() != null) {
      // A late supplement: it adds to the window's own document rather than replacing it.
      vigil.put("revision", signal.revision());
    }
    doc.set("window", Json.mapper().valueToTree(signal.window()));
    putSection(doc, "traffic", signal.traffic());
    putSection(doc, "errors", signal.errors());
    putSection(doc, "latency_ms", signal.latencyMs());
    putSection(doc, "saturation", signal.saturation());
    putSection(doc, "logs", signal.logs());
    return new IndexDocument(target, signal.id(), true, doc);
  }

  /**
   * The document for a log record: its ECS fields as they are, plus {@code event.*}; its id is
   * {@link LogRecord#id()}, so a re-delivered record is a duplicate rather than a second document.
   */
  public static IndexDocument log(String target, LogRecord log) {
    ObjectNode doc = Json.mapper().valueToTree(log);
    doc.remove("id");
    ObjectNode event = doc.putObject("event");
    event.put("id", log.id());
    event.put("kind", "event");
    event.put("dataset", "vigil.app");
    return new IndexDocument(target, log.id(), true, doc);
  }

  /**
   * The document for a pipeline-run or freshness record; its id is {@link PipelineRun#id()}, so a
   * re-delivered record is a duplicate rather than a second document.
   */
  public static IndexDocument pipelineRun(String target, PipelineRun run) {
    ObjectNode doc = Json.mapper().valueToTree(run);
    doc.remove("id");
    ObjectNode event = doc.putObject("event");
    event.put("id", run.id());
    event.put("kind", PipelineRun.RUN.equals(run.kind()) ? "event" : "metric");
    event.put("dataset", "vigil.pipelines");
    doc.withObjectProperty("vigil").put("job", run.job().key());
    return new IndexDocument(target, run.id(), true, doc);
  }

  /**
   * The history document for a transition; its id (fingerprint, state, time) makes re-delivery a
   * duplicate rather than a second entry.
   */
  public static IndexDocument transition(String target, AlertTransition t) {
    String id = t.fingerprint() + "-" + t.state().wireName() + "-" + t.timestamp().toEpochMilli();
    ObjectNode doc = alert(t);
    doc.withObjectProperty("event").put("id", id);
    return new IndexDocument(target, id, true, doc);
  }

  /** The current-state document for an alert; its id is the fingerprint, so it is overwritten. */
  public static IndexDocument currentState(String target, AlertTransition t) {
    ObjectNode doc = alert(t);
    doc.put("updatedAt", t.timestamp().toString());
    return new IndexDocument(target, t.fingerprint(), false, doc);
  }

  private static ObjectNode alert(AlertTransition t) {
    ObjectNode doc = Json.mapper().valueToTree(t);
    ObjectNode event = doc.putObject("event");
    event.put("kind", "alert");
    event.put("action", t.state().wireName());
    event.put("dataset", "vigil.alerts");
    String summary = t.annotations().get("summary");
    doc.put("message", summary != null ? summary : t.rule() + " " + t.state().wireName());
    identity(
        doc,
        t.labels().get("cluster"),
        t.labels().get("namespace"),
        t.labels().get("service"),
        t.labels().get("operation"));
    return doc;
  }

  private static void identity(
      ObjectNode doc, String cluster, String namespace, String service, String operation) {
    if (service != null) {
      doc.withObjectProperty("service").put("name", service);
    }
    if (namespace != null) {
      doc.withObjectProperty("kubernetes").put("namespace", namespace);
    }
    if (cluster != null) {
      doc.withObjectProperty("orchestrator").withObjectProperty("cluster").put("name", cluster);
    }
    if (operation != null) {
      doc.withObjectProperty("vigil").put("operation", operation);
    }
  }

  private static void putSection(ObjectNode doc, String name, Object section) {
    if (section != null) {
      doc.set(name, Json.mapper().valueToTree(section));
    }
  }
}
