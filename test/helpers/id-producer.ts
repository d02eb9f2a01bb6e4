// Writes the sample job's input (ids from..to, round-robin over the partitions) at a steady rate, as
// an application upstream of the job would, while a test cuts, kills and restarts things.

import { setTimeout as sleep } from 'node:timers/promises';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { kafkaModeMessage } from '../../src/runs/sample-messages.js';

export async function produceIds(options: {
  bootstrapServers: string;
  topic: string;
  partitions: number;
  from: number;
  to: number;
  perSecond: number;
}): Promise<void> {
  const producer = await KafkaProducer.connect({
    security: PLAINTEXT,
    bootstrapServers: options.bootstrapServers,
    clientId: 'sluice-test-input',
  });
  try {
    const start = Date.now();
    for (let id = options.from; id <= options.to; id++) {
      await producer.send(
        options.topic,
        (id - 1) % options.partitions,
        Buffer.from(kafkaModeMessage(id)),
        String(id),
      );
      const due = start + ((id - options.from + 1) / options.perSecond) * 1000;
      if (due - Date.now() > 5) await sleep(due - Date.now());
    }
    await producer.flush(60_000);
  } finally {
    await producer.close();
  }
}
