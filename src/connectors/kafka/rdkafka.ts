// The one import of @confluentinc/kafka-javascript's runtime classes. The package is CommonJS with
// exports Node's ESM loader cannot detect by name, so they are taken from its default export here.

import rdkafka from '@confluentinc/kafka-javascript';

export const { AdminClient, KafkaConsumer, Producer, OffsetSpec } = rdkafka.RdKafka;
export type {
  Assignment,
  ConsumerGlobalConfig,
  GlobalConfig,
  GroupDescription,
  GroupOverview,
  GroupResults,
  IAdminClient,
  LibrdKafkaError,
  ListOffsetsResult,
  Message,
  MessageHeader,
  Metadata,
  ProducerGlobalConfig,
  TopicDescription,
  TopicPartition,
  TopicPartitionOffset,
  TopicPartitionOffsetAndMetadata,
} from '@confluentinc/kafka-javascript';
export type KafkaConsumer = import('@confluentinc/kafka-javascript').KafkaConsumer;
export type Producer = import('@confluentinc/kafka-javascript').Producer;
