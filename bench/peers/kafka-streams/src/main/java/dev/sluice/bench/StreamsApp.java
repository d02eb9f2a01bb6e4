// What the benchmark apps share: the Streams settings every peer run uses (exactly_once_v2, a
// state directory per process, one replica for internal topics, key=value overrides from the
// command line) and the run loop ("READY" once running, "STOPPED" after SIGTERM).
package dev.sluice.bench;

import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

final class StreamsApp {
  private StreamsApp() {}

  /** args: bootstrap, input, output, application.id, threads, ...; overrides from args[firstOverride]. */
  static Properties config(String[] args, int firstOverride) {
    Properties props = new Properties();
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(args[4]));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    // One state directory per process: several instances of one application run on this host.
    props.put(
        StreamsConfig.STATE_DIR_CONFIG,
        System.getProperty("java.io.tmpdir") + "/sluice-bench-streams-" + args[3] + "-" + ProcessHandle.current().pid());
    // One broker: internal topics (changelog, repartition) with one replica.
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    for (int i = firstOverride; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      props.put(kv[0], kv[1]);
    }
    return props;
  }

  static void run(Topology topology, Properties props) throws InterruptedException {
    KafkaStreams streams = new KafkaStreams(topology, props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Leave the group at once, as a stopped Sluice TaskManager does: by default a Kafka Streams
      // member stays until its session times out (45 s), and a restart would wait for that.
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      System.out.println("STOPPED");
      System.out.flush();
      stopped.countDown();
    }));
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) {
        System.out.println("READY");
        System.out.flush();
      }
    });
    streams.cleanUp();
    streams.start();
    stopped.await();
  }
}
