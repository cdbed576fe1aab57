package io.vigil.embedded.kafka;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * An {@link EmbeddedKafka} broker as a process of its own, for tests that stop a broker the way an
 * operator does: SIGTERM (a clean shutdown through the hook) or SIGKILL (none). Its data stays in
 * the given directory, so a new process on it carries on. Prints {@code kafka ready at
 * 127.0.0.1:<port>} once it serves.
 *
 * <pre>java -cp vigil-local.jar io.vigil.embedded.kafka.KafkaBrokerMain PORT DATA_DIR</pre>
 */
public final class KafkaBrokerMain {
  private KafkaBrokerMain() {}

  /** Starts the broker and serves until the JVM is asked to stop. */
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: KafkaBrokerMain PORT DATA_DIR");
      System.exit(2);
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(Integer.parseInt(args[0]), Path.of(args[1]));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "kafka-shutdown"));
    System.out.println("kafka ready at " + kafka.bootstrapServers());
    stopped.await();
  }
}
