// The TaskManager's consumer of the job's group: the settings measured for it, and its errors
// (failed commits, broker errors) reported through the TaskManager's consume-error line.

import {
  type ConsumerOptions,
  connectConsumer,
  describeConsumerError,
} from '../connectors/kafka/consumer.js';
import type { KafkaConsumer } from '../connectors/kafka/rdkafka.js';

export async function connectGroupConsumer(
  options: Omit<ConsumerOptions, 'extra'> & { onError: (error: string, code?: number) => void },
): Promise<KafkaConsumer> {
  const { onError, ...rest } = options;
  const consumer = await connectConsumer({
    ...rest,
    extra: {
      // Commit results arrive as events; a failed commit is logged, the next checkpoint commits again.
      offset_commit_cb: true,
      // Fewer, larger fetches and a deeper local queue: the per-record cost is what limits a
      // TaskManager, and librdkafka's defaults fetch in small pieces (measured: bench throughput).
      'queued.min.messages': 200_000,
      'fetch.message.max.bytes': 4_194_304,
      'fetch.max.bytes': 52_428_800,
    },
  });
  consumer.on('offset.commit', (error) => {
    if (error) onError(`offset commit failed: ${describeConsumerError(error)}`);
  });
  consumer.setDefaultConsumeTimeout(100);
  consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
  consumer.on('event.error', (error) => onError(describeConsumerError(error), error.code));
  return consumer;
}
