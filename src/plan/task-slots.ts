// A job's tasks numbered: every partition of every source topic gets a slot, topic by topic in
// the order the job names them. With one source topic, slot n is partition n. Checkpoints, the
// JobManager's registry and the REST API count tasks by slot.

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: number;
}

export interface SlotTask {
  readonly slot: number;
  readonly topic: string;
  readonly partition: number;
  /** `<topic>-<partition>`. */
  readonly id: string;
}

export class TaskSlots {
  readonly topics: readonly TopicPartitions[];
  readonly #tasks: SlotTask[] = [];
  /** Per topic: its first slot and its partition count. */
  readonly #first = new Map<string, { slot: number; partitions: number }>();

  constructor(topics: readonly TopicPartitions[]) {
    this.topics = topics;
    for (const { topic, partitions } of topics) {
      this.#first.set(topic, { slot: this.#tasks.length, partitions });
      for (let partition = 0; partition < partitions; partition++)
        this.#tasks.push({ slot: this.#tasks.length, topic, partition, id: `${topic}-${partition}` });
    }
  }

  get size(): number {
    return this.#tasks.length;
  }

  all(): readonly SlotTask[] {
    return this.#tasks;
  }

  at(slot: number): SlotTask | undefined {
    return this.#tasks[slot];
  }

  slotOf(topic: string, partition: number): number | undefined {
    const first = this.#first.get(topic);
    return first === undefined || partition < 0 || partition >= first.partitions
      ? undefined
      : first.slot + partition;
  }

  /** "flinkdotnet.sample.topic [0, 2]" per topic, for log lines. */
  byTopic(slots: readonly number[]): Map<string, number[]> {
    const grouped = new Map<string, number[]>();
    for (const slot of [...slots].sort((a, b) => a - b)) {
      const task = this.at(slot);
      if (!task) continue;
      grouped.set(task.topic, [...(grouped.get(task.topic) ?? []), task.partition]);
    }
    return grouped;
  }
}
