// Methods of @confluentinc/kafka-javascript's KafkaConsumer that exist at runtime (1.10.x,
// lib/kafka-consumer.js) but are missing from its typings. Declared here until upstream ships them.

import '@confluentinc/kafka-javascript';

declare module '@confluentinc/kafka-javascript' {
  interface KafkaConsumer {
    /** Adds partitions to the current assignment (cooperative and KIP-848 rebalances). */
    incrementalAssign(assignments: Assignment[]): this;
    /** Removes partitions from the current assignment (cooperative and KIP-848 rebalances). */
    incrementalUnassign(assignments: Assignment[]): this;
    /** True when the last revocation was a loss (session expired, fenced): those partitions must not commit. */
    assignmentLost(): boolean;
    /** 'COOPERATIVE' for cooperative-sticky and the KIP-848 consumer protocol, 'EAGER' otherwise, 'NONE' before joining. */
    rebalanceProtocol(): 'COOPERATIVE' | 'EAGER' | 'NONE';
    /**
     * consume(n) waits up to the consume timeout for the first record only, then returns what is
     * ready (up to n) instead of waiting for each record. Marked private in the client's JSDoc.
     */
    setDefaultIsTimeoutOnlyForFirstMessage(isTimeoutOnlyForFirstMessage: boolean): void;
  }
}
