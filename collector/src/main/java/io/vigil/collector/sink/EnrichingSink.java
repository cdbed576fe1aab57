package io.vigil.collector.sink;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A sink that adds the collector's {@code resource} attributes (its cluster, node, environment) to
 * the resources of every OTLP record before handing it on, so that data from many clusters stays
 * apart downstream whatever its senders set: what a resource already has is kept ({@link
 * ResourceAttributes}). Records on other topics (OpenLineage events) pass as they are.
 */
public final class EnrichingSink implements RecordSink {
  private final RecordSink next;
  private final ResourceAttributes attributes;

  private EnrichingSink(RecordSink next, ResourceAttributes attributes) {
    this.next = next;
    this.attributes = attributes;
  }

  /** {@code next}, adding {@code attributes} (key → value) first; {@code next} itself if none. */
  public static RecordSink of(RecordSink next, Map<String, String> attributes) {
    ResourceAttributes added = new ResourceAttributes(attributes);
    return added.isEmpty() ? next : new EnrichingSink(next, added);
  }

  @Override
  public CompletableFuture<Void> store(List<SinkRecord> records) {
    return next.store(attributes.addTo(records));
  }

  @Override
  public String unavailableReason() {
    return next.unavailableReason();
  }
}
