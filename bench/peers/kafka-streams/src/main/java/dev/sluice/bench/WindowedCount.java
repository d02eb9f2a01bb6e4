// The windowed benchmark job as a Kafka Streams app: count the records of each key per tumbling
// window of event time (the record's id, in ms), one final result per window when it closes
// (EmitStrategy.onWindowClose, KIP-825), exactly once (exactly_once_v2). Output key "<key>@<start>",
// value the count (a long).
//
// Usage: WindowedCount <bootstrap> <input> <output> <application.id> <threads> <windowMs> [key=value ...]
// Prints "READY" once running and "STOPPED" when shut down (SIGTERM).
package dev.sluice.bench;

import java.time.Duration;
import java.util.Properties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;

public final class WindowedCount {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Event time from the value, checked as Sluice's job checks it (an id, this key, a payload); a
   * record that does not pass gets -1 and Kafka Streams drops it — one parse per record, as Sluice.
   */
  public static final class IdTime implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
      Object key = record.key();
      Object value = record.value();
      if (!(value instanceof String) || !(key instanceof String)) return -1;
      try {
        JsonNode node = JSON.readTree((String) value);
        if (!node.path("id").isIntegralNumber() || !key.equals(node.path("key").asText(null)) || !node.path("payload").isTextual())
          return -1;
        return node.path("id").asLong();
      } catch (Exception e) {
        return -1;
      }
    }
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 6) {
      System.err.println("usage: WindowedCount <bootstrap> <input> <output> <application.id> <threads> <windowMs> [key=value ...]");
      System.exit(2);
    }
    Properties props = StreamsApp.config(args, 6);
    props.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, IdTime.class);

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args[1], Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(Long.parseLong(args[5]))))
        .emitStrategy(EmitStrategy.onWindowClose())
        .count()
        .toStream((windowed, count) -> windowed.key() + "@" + windowed.window().start())
        .to(args[2], Produced.with(Serdes.String(), Serdes.Long()));

    StreamsApp.run(builder.build(), props);
  }
}
