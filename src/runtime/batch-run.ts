// One batch through a task's compiled stage: the results for its sinks, and the records that go to
// the dead-letter topic - those the job's code threw on and those later than their window's grace.
// A record below `highWater` is a replay: it was dead-lettered the first time, not again.

import { classifyRecordError } from '../api/record-error.js';
import type { SourceRecord } from '../api/records.js';
import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import { type CompiledStage, StageOutputs } from './compile-stage.js';
import type { StageEnvironment } from './keyed/stage-environment.js';

export interface BatchRun {
  readonly out: StageOutputs;
  readonly letters: DeadLetter[];
  /** Records marked late and dead-lettered (replays not counted). */
  readonly late: number;
}

export function runBatch(
  stage: CompiledStage,
  records: readonly SourceRecord[],
  env: StageEnvironment | undefined,
  now: number,
  highWater: number,
): BatchRun {
  const out = new StageOutputs(stage.sinkCount);
  const letters: DeadLetter[] = [];
  for (const record of records) {
    out.begin();
    try {
      stage.run(record, out, env, now);
    } catch (error) {
      out.rollback();
      if (record.offset >= highWater)
        letters.push({ record, failure: classifyRecordError(error, record.value) });
    }
  }
  const last = records.at(-1);
  if (env && last) stage.endBatch(out, env, last);
  const late = out.late.filter((r) => r.offset >= highWater);
  for (const record of late) letters.push({ record, failure: { code: 'RECORD_LATE', message: 'late' } });
  return { out, letters, late: late.length };
}
