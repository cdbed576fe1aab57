package io.vigil.embedded.junit;

import io.vigil.embedded.elasticsearch.ElasticsearchLauncher;
import io.vigil.embedded.elasticsearch.EmbeddedElasticsearch;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Provides one {@link EmbeddedElasticsearch} for the whole test run (it takes seconds to start),
 * stopped after the last test; see {@link WithElasticsearch}. Honours {@code ELASTICSEARCH_URL}
 * from the real environment: this is the one place that reads {@code System.getenv()}.
 */
public final class ElasticsearchExtension extends ServerExtension<EmbeddedElasticsearch> {
  /** Used by JUnit. */
  public ElasticsearchExtension() {
    super(EmbeddedElasticsearch.class);
  }

  @Override
  ExtensionContext owner(ExtensionContext context) {
    return context.getRoot();
  }

  @Override
  EmbeddedElasticsearch start(ExtensionContext owner) {
    return ElasticsearchLauncher.start(System.getenv());
  }
}
