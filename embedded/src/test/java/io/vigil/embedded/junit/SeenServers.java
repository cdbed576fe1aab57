package io.vigil.embedded.junit;

import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import io.vigil.embedded.kafka.EmbeddedKafka;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** Servers seen by test classes in this JVM, to check what is shared and what is not. */
final class SeenServers {
  static final AtomicReference<EmbeddedElasticsearch> ELASTICSEARCH = new AtomicReference<>();
  static final Set<EmbeddedKafka> KAFKAS = ConcurrentHashMap.newKeySet();

  /** The first Elasticsearch any class saw. */
  static EmbeddedElasticsearch firstElasticsearch(EmbeddedElasticsearch candidate) {
    ELASTICSEARCH.compareAndSet(null, candidate);
    return ELASTICSEARCH.get();
  }

  private SeenServers() {}
}
