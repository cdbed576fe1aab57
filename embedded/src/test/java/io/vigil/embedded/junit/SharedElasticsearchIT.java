package io.vigil.embedded.junit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.kafka.EmbeddedKafka;
import org.junit.jupiter.api.Test;

/** A second class: Elasticsearch is shared with {@link ExtensionsIT}, Kafka is not. */
@WithElasticsearch
@WithKafka
class SharedElasticsearchIT {

  @Test
  void sharesElasticsearchButNotKafkaAcrossClasses(
      EmbeddedElasticsearch elasticsearch, EmbeddedKafka kafka) {
    assertThat(elasticsearch).isSameAs(SeenServers.firstElasticsearch(elasticsearch));
    assertThat(SeenServers.KAFKAS).doesNotContain(kafka);
    SeenServers.KAFKAS.add(kafka);
  }
}
