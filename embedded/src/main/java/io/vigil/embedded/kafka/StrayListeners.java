package io.vigil.embedded.kafka;

import java.lang.reflect.Field;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the sockets {@link KafkaClusterTestKit} pre-binds on the wildcard address for its default
 * listener names. {@link EmbeddedKafka} configures listeners under other names so these sockets are
 * never used; closing them keeps the broker reachable on 127.0.0.1 only.
 *
 * <p>The test kit has no public hook for this, so this reaches its socket manager by reflection;
 * the manager's {@code close()} releases only sockets no server took. If the field ever moves, the
 * sockets stay open (bound, never accepted) until {@link KafkaClusterTestKit#close()}.
 */
final class StrayListeners {
  private static final Logger LOG = LoggerFactory.getLogger(StrayListeners.class);

  static void close(KafkaClusterTestKit cluster) {
    try {
      Field field = KafkaClusterTestKit.class.getDeclaredField("socketFactoryManager");
      field.setAccessible(true);
      ((AutoCloseable) field.get(cluster)).close();
    } catch (Exception | LinkageError e) {
      LOG.debug("cannot release the test kit's pre-bound sockets", e);
    }
  }

  private StrayListeners() {}
}
