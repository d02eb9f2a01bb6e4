// A record as the source hands it to a job: where it came from (topic, partition, offset) and its
// raw bytes. Jobs turn it into their own type with the deserializer they give `fromKafka`.

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | string | null | undefined;
  readonly value: Buffer | null;
  readonly timestamp: number | undefined;
}
