// The benchmark job as a Kafka Streams app: read JSON records, count them per key, write the
// counts to an output topic, exactly once (processing.guarantee=exactly_once_v2).
//
// Usage: CountPerKey <bootstrap> <input> <output> <application.id> <threads> [key=value ...]
// Extra key=value pairs override Streams settings (commit.interval.ms, session timeout, ...).
// Prints "READY" once running and "STOPPED" when shut down (SIGTERM).
package dev.sluice.bench;

import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

public final class CountPerKey {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The same check Sluice's job makes: the value parses as our JSON, with an id and this key. */
  static boolean valid(String key, String value) {
    if (value == null) return false;
    try {
      JsonNode node = JSON.readTree(value);
      return node.path("id").isIntegralNumber() && key != null && key.equals(node.path("key").asText(null)) && node.path("payload").isTextual();
    } catch (Exception e) {
      return false;
    }
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 5) {
      System.err.println("usage: CountPerKey <bootstrap> <input> <output> <application.id> <threads> [key=value ...]");
      System.exit(2);
    }
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
    for (int i = 5; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      props.put(kv[0], kv[1]);
    }

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[1], Consumed.with(Serdes.String(), Serdes.String()))
        // Parse and check each value as Sluice's job does; the record key is the counted key.
        .filter(CountPerKey::valid)
        .groupByKey()
        .count()
        .toStream()
        .to(args[2], Produced.with(Serdes.String(), Serdes.Long()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
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
