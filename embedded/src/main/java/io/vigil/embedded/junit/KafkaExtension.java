package io.vigil.embedded.junit;

import io.vigil.embedded.kafka.EmbeddedKafka;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Starts one {@link EmbeddedKafka} per test class; see {@link WithKafka}. */
public final class KafkaExtension extends ServerExtension<EmbeddedKafka> {
  /** Used by JUnit. */
  public KafkaExtension() {
    super(EmbeddedKafka.class);
  }

  @Override
  EmbeddedKafka start(ExtensionContext owner) {
    return EmbeddedKafka.start(0);
  }
}
