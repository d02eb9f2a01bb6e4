// The benchmark job as a Kafka Streams app: read JSON records, count them per key, write the
// counts to an output topic, exactly once (processing.guarantee=exactly_once_v2).
//
// Usage: CountPerKey <bootstrap> <input> <output> <application.id> <threads> [key=value ...]
// Extra key=value pairs override Streams settings (commit.interval.ms, session timeout, ...).
// Prints "READY" once running and "STOPPED" when shut down (SIGTERM).
package dev.sluice.bench;

import java.util.Properties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
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
    Properties props = StreamsApp.config(args, 5);

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[1], Consumed.with(Serdes.String(), Serdes.String()))
        // Parse and check each value as Sluice's job does; the record key is the counted key.
        .filter(CountPerKey::valid)
        .groupByKey()
        .count()
        .toStream()
        .to(args[2], Produced.with(Serdes.String(), Serdes.Long()));

    StreamsApp.run(builder.build(), props);
  }
}
