package io.vigil.alerting.elasticsearch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One document for a bulk request.
 *
 * @param target index or data stream name
 * @param id document id
 * @param create {@code op_type=create} (a second write with the same id is a 409, counted as
 *     already indexed) rather than {@code index} (overwrite)
 * @param source the document
 */
public record IndexDocument(String target, String id, boolean create, ObjectNode source) {
  /** Checks the required parts. */
  public IndexDocument {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
  }
}
