package io.vigil.processor;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.vigil.model.config.ConfigException;

/**
 * Where the catalog of expectations comes from, the {@code processor.catalog} section.
 *
 * @param file a catalog YAML file (format: processor/README.md, "Catalog"), validated at start and
 *     written to the compacted topic {@code vigil.catalog}, whose entries it then owns (an entry
 *     removed from the file is deleted from the topic); default none: the topic is left as it is
 */
public record CatalogSettings(@JsonProperty("file") String file) {

  /** Validates. */
  public CatalogSettings {
    if (file != null && file.isBlank()) {
      throw new ConfigException("processor.catalog.file", file, "must not be empty");
    }
  }

  /** No catalog file. */
  public static CatalogSettings defaults() {
    return new CatalogSettings(null);
  }
}
