// Reads a topic as a read_committed consumer independent of Sluice would: every committed record
// from the beginning, until at least `atLeast` arrived (deadline-bounded), then a little longer so
// that extra records (duplicates) would show.

import { baseClientConfig, PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaConsumer, type Message } from '../../src/connectors/kafka/rdkafka.js';
import { eventually, testEnv, uniqueName } from './test-env.js';

export async function readCommitted(topic: string, atLeast: number, timeoutMs = 60_000): Promise<Message[]> {
  const reader = new KafkaConsumer(
    {
      ...baseClientConfig({
        bootstrapServers: testEnv.kafkaBootstrap,
        security: PLAINTEXT,
        clientId: 'committed-reader',
      }),
      'group.id': uniqueName('committed-reader'),
      'enable.auto.commit': false,
      'isolation.level': 'read_committed',
    },
    { 'auto.offset.reset': 'earliest' },
  );
  reader.on('event.error', () => {});
  await new Promise<void>((resolve, reject) =>
    reader.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  const results: Message[] = [];
  const poll = () =>
    new Promise<Message[]>((resolve, reject) =>
      reader.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
    );
  try {
    reader.subscribe([topic]);
    reader.setDefaultConsumeTimeout(500);
    await eventually(
      `${atLeast} records in ${topic}`,
      async () => {
        results.push(...(await poll()));
        return results.length >= atLeast ? true : undefined;
      },
      { timeoutMs },
    );
    // Anything beyond what was expected would be a duplicate: keep reading a little.
    const until = Date.now() + 2000;
    while (Date.now() < until) results.push(...(await poll()));
  } finally {
    await new Promise<void>((resolve) => reader.disconnect(() => resolve()));
  }
  return results;
}
