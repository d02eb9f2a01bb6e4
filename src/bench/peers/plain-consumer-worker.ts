// One process of the "plain consumer" peer: what a team writes by hand today. It reads one
// partition with librdkafka, parses each record, and per batch adds the per-key counts to Redis
// (HINCRBY) with the offsets auto-committed: at-least-once, no coordination, no checkpoints.
// Usage (by the bench): node plain-consumer-worker.js <bootstrap> <topic> <partition> <redisUrl> <counterKey> <groupId>

import { baseClientConfig, PLAINTEXT } from '../../connectors/kafka/client-config.js';
import { KafkaConsumer, type Message } from '../../connectors/kafka/rdkafka.js';
import { createRedis } from '../../connectors/redis/redis-client.js';

const [bootstrapServers = '', topic = '', partition = '0', redisUrl = '', counterKey = '', groupId = ''] =
  process.argv.slice(2);
const redis = createRedis({ url: redisUrl });
await redis.connect();
const consumer = new KafkaConsumer(
  {
    ...baseClientConfig({ security: PLAINTEXT, bootstrapServers, clientId: `plain-${partition}` }),
    'group.id': groupId,
    'enable.auto.commit': true,
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
let running = true;
process.on('SIGTERM', () => {
  running = false;
});
while (running) {
  const messages = await new Promise<Message[]>((resolve) =>
    consumer.consume(5000, (err, m) => resolve(err ? [] : m)),
  );
  if (messages.length === 0) continue;
  const counts = new Map<string, number>();
  for (const m of messages) {
    const { key } = JSON.parse(String(m.value)) as { key: string };
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const tx = redis.multi().incrby(counterKey, messages.length);
  for (const [key, n] of counts) tx.hincrby(`${counterKey}:by_key`, key, n);
  await tx.exec();
}
await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
redis.disconnect();
