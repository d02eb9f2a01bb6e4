// `import { ... } from 'sluice/testing'`: run a job in a unit test, without Kafka or Redis.

export {
  type DeadLetterRecord,
  JobTestDriver,
  type OutputRecord,
  type TestDriverOptions,
  type TestRecord,
  testJob,
} from './job-test-driver.js';
