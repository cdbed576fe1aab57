package io.vigil.alerting.elasticsearch;

import java.util.List;
import java.util.Map;

/**
 * What a bulk request did, item by item.
 *
 * @param indexed documents written
 * @param duplicates {@code create} items that already existed (re-delivery), not an error
 * @param failures items rejected for good (e.g. a mapping error), not retried
 */
public record BulkResult(int indexed, int duplicates, List<Failure> failures) {

  /** Freezes the list. */
  public BulkResult {
    failures = List.copyOf(failures);
  }

  /**
   * One rejected item.
   *
   * @param target index or data stream written to
   * @param id document id
   * @param status HTTP status of the item
   * @param reason Elasticsearch's error type, e.g. {@code document_parsing_exception}
   * @param message Elasticsearch's error reason
   */
  public record Failure(String target, String id, int status, String reason, String message) {}

  /** Failures counted by reason. */
  public Map<String, Long> failuresByReason() {
    return failures.stream()
        .collect(
            java.util.stream.Collectors.groupingBy(
                Failure::reason, java.util.TreeMap::new, java.util.stream.Collectors.counting()));
  }
}
