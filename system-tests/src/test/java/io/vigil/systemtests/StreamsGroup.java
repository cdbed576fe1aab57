package io.vigil.systemtests;

import io.vigil.systemtests.Stack.Instance;
import io.vigil.systemtests.Stack.Service;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

/**
 * Who does what in a service's Kafka Streams application, read from the broker as an operator's
 * {@code kafka-consumer-groups --describe} would: the partitions (so the active tasks) each
 * instance's stream thread is assigned. The stack names every instance's Streams clients after it
 * ({@code client.id}), which is how a member is told apart from its twin on the same host.
 */
final class StreamsGroup {
  private static final String THREAD_SUFFIX = "-StreamThread-";

  private StreamsGroup() {}

  /**
   * The partitions of every instance of {@code service} in {@code stack}, once the group is stable
   * with exactly the stack's running instances of the service as members (polled, up to {@code
   * limit}: a rebalance may be under way, or a killed member not yet timed out).
   */
  static Map<Instance, Set<TopicPartition>> assignment(Stack stack, Service service, Duration limit)
      throws Exception {
    Set<Instance> running =
        Set.copyOf(stack.instances().stream().filter(i -> i.service() == service).toList());
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    long deadline = System.nanoTime() + limit.toNanos();
    Map<Instance, Set<TopicPartition>> owned = Map.of();
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadline) {
        ConsumerGroupDescription group =
            admin
                .describeConsumerGroups(List.of(service.streamsGroup))
                .all()
                .get(10, TimeUnit.SECONDS)
                .get(service.streamsGroup);
        owned = byInstance(group, running);
        if (group.groupState() == GroupState.STABLE
            && group.members().size() == running.size()
            && owned.keySet().equals(running)) {
          return owned;
        }
        TimeUnit.MILLISECONDS.sleep(200); // polling the group, with a deadline
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("cannot describe " + service.streamsGroup, e);
    }
    throw new AssertionError(
        service.streamsGroup
            + " not stable with members "
            + running
            + " within "
            + limit
            + "; last seen "
            + owned);
  }

  /** The members' partitions, keyed by the instance whose client id the member carries. */
  private static Map<Instance, Set<TopicPartition>> byInstance(
      ConsumerGroupDescription group, Set<Instance> running) {
    Map<Instance, Set<TopicPartition>> owned = new TreeMap<>();
    for (MemberDescription member : group.members()) {
      int suffix = member.clientId().indexOf(THREAD_SUFFIX);
      String name = suffix < 0 ? member.clientId() : member.clientId().substring(0, suffix);
      running.stream()
          .filter(i -> i.name().equals(name))
          .findFirst()
          .ifPresent(i -> owned.put(i, Set.copyOf(member.assignment().topicPartitions())));
    }
    return owned;
  }
}
