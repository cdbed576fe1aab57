package io.vigil.collector.sink;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.collector.TestRequests;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The collector's resource as a run facet of OpenLineage events, the rest left as it was sent. */
class LineageResourceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> RESOURCE = new LinkedHashMap<>();

  static {
    RESOURCE.put("k8s.cluster.name", "eu-1");
    RESOURCE.put("deployment.environment", "prod");
  }

  private final LineageResource lineage = new LineageResource(RESOURCE);

  private String add(String event) {
    return new String(
        lineage.addTo(event.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  private static final String FACET =
      "\"vigil_resource\":{\"_producer\":\"https://github.com/vigil/collector\","
          + "\"_schemaURL\":\"https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunFacet\","
          + "\"attributes\":{\"k8s.cluster.name\":\"eu-1\",\"deployment.environment\":\"prod\"}}";

  @Test
  void goesFirstAmongTheRunsFacetsTheRestByteForByte() {
    String event =
        "{\"eventType\": \"COMPLETE\", \"run\": {\"runId\": \"r1\", \"facets\": {\"parent\": {\"x\":"
            + " 1.50}}}, \"job\": {\"namespace\": \"dbt\", \"name\": \"orders\"}, \"n\": 1e400}";

    assertThat(add(event))
        .isEqualTo(
            "{\"eventType\": \"COMPLETE\", \"run\": {\"runId\": \"r1\", \"facets\": {"
                + FACET
                + ",\"parent\": {\"x\": 1.50}}}, \"job\": {\"namespace\": \"dbt\", \"name\":"
                + " \"orders\"}, \"n\": 1e400}");
  }

  @Test
  void makesTheFacetsOfARunThatHasNone() {
    assertThat(add("{\"run\":{\"runId\":\"r1\"},\"job\":{}}"))
        .isEqualTo("{\"run\":{\"facets\":{" + FACET + "},\"runId\":\"r1\"},\"job\":{}}");
    assertThat(add("{\"run\": { }}")).isEqualTo("{\"run\": {\"facets\":{" + FACET + "} }}");
    assertThat(add("{\"run\":{\"facets\":{}}}"))
        .isEqualTo("{\"run\":{\"facets\":{" + FACET + "}}}");
  }

  @Test
  void leavesAloneWhatItCannotOrNeedNotChange() {
    for (String event :
        List.of(
            "{\"run\":{\"facets\":{\"vigil_resource\":{\"attributes\":{}}}}}",
            "{\"run\":{\"facets\":[]}}",
            "{\"job\":{}}",
            "{\"run\":\"r1\"}",
            "[1,2]",
            "{\"run\":{\"runId\":",
            "not json")) {
      assertThat(add(event)).as(event).isEqualTo(event);
    }
  }

  @Test
  void realEventsKeepEverythingAndGainTheFacet() throws Exception {
    for (String name :
        List.of(
            "airflow-dag-start.json",
            "airflow-task-complete-bigquery-copy.json",
            "client-example-full-event-dataQualityAssertions.json")) {
      byte[] sent = TestRequests.fixture("fixtures/openlineage/" + name);

      JsonNode stored = JSON.readTree(lineage.addTo(sent));

      JsonNode facet = stored.path("run").path("facets").path("vigil_resource");
      assertThat(facet.path("attributes").path("k8s.cluster.name").asText())
          .as(name)
          .isEqualTo("eu-1");
      assertThat(facet.path("_producer").isTextual()).isTrue();
      ((ObjectNode) stored.path("run").path("facets")).remove("vigil_resource");
      assertThat(stored).as(name).isEqualTo(JSON.readTree(sent));
    }
  }
}
