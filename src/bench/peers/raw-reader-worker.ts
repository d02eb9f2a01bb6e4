// One process of the raw-read peer: reads one partition from the start, no processing, and prints
// "<records> <first-ms> <last-ms> <bytes>" when it has read the expected number of records.
// Usage: node raw-reader-worker.js <bootstrap> <topic> <partition> <expected>

import { baseClientConfig, PLAINTEXT } from '../../connectors/kafka/client-config.js';
import { KafkaConsumer, type Message } from '../../connectors/kafka/rdkafka.js';

const [bootstrapServers = '', topic = '', partition = '0', expected = '0'] = process.argv.slice(2);
const consumer = new KafkaConsumer(
  {
    ...baseClientConfig({ security: PLAINTEXT, bootstrapServers, clientId: `raw-${partition}` }),
    'group.id': `sluice-bench-raw-${Date.now()}-${partition}`,
    'enable.auto.commit': false,
    // Large fetches and a deep local queue: the client's own ceiling, not its defaults.
    'queued.min.messages': 500_000,
    'fetch.message.max.bytes': 10_485_760,
    'fetch.max.bytes': 52_428_800,
  },
  { 'auto.offset.reset': 'earliest' },
);
consumer.on('event.log', () => {});
await new Promise<void>((resolve, reject) =>
  consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
);
consumer.assign([{ topic, partition: Number(partition), offset: 0 }]);
consumer.setDefaultConsumeTimeout(100);
consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
let count = 0;
let first = 0;
let bytes = 0;
const deadline = Date.now() + 600_000;
while (count < Number(expected) && Date.now() < deadline) {
  const messages = await new Promise<Message[]>((resolve) =>
    consumer.consume(10_000, (err, m) => resolve(err ? [] : m)),
  );
  if (messages.length > 0 && count === 0) first = Date.now();
  count += messages.length;
  for (const m of messages) bytes += m.size;
}
process.stdout.write(`${count} ${first} ${Date.now()} ${bytes}\n`);
await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
