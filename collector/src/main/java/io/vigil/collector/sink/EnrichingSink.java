package io.vigil.collector.sink;

import io.vigil.model.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A sink that adds the collector's {@code resource} attributes (its cluster, node, environment) to
 * every record before handing it on, so that data from many clusters stays apart downstream
 * whatever its senders set: to the resources of OTLP records, where what a resource already has is
 * kept ({@link ResourceAttributes}), and to OpenLineage events as a run facet ({@link
 * LineageResource}).
 */
public final class EnrichingSink implements RecordSink {
  private final RecordSink next;
  private final ResourceAttributes attributes;
  private final LineageResource lineage;

  private EnrichingSink(
      RecordSink next, ResourceAttributes attributes, Map<String, String> resource) {
    this.next = next;
    this.attributes = attributes;
    this.lineage = new LineageResource(resource);
  }

  /** {@code next}, adding {@code attributes} (key → value) first; {@code next} itself if none. */
  public static RecordSink of(RecordSink next, Map<String, String> attributes) {
    ResourceAttributes added = new ResourceAttributes(attributes);
    return added.isEmpty() ? next : new EnrichingSink(next, added, attributes);
  }

  @Override
  public CompletableFuture<Void> store(List<SinkRecord> records) {
    List<SinkRecord> enriched = new ArrayList<>(records.size());
    for (SinkRecord r : attributes.addTo(records)) {
      enriched.add(
          r.topic().equals(Topics.LINEAGE)
              ? new SinkRecord(r.topic(), r.key(), lineage.addTo(r.value()))
              : r);
    }
    return next.store(enriched);
  }

  @Override
  public String unavailableReason() {
    return next.unavailableReason();
  }
}
