// The job's plan as plain data for people: its stages, what each reads, the steps it runs (with the
// changelog topic of each stateful one) and what it writes (the job's sinks, repartition topics to
// the next stage). The JobManager hands it out on `GET /jobs/:id` and the dashboard draws it; it is
// the Flink web UI's job graph, cut where Sluice cuts tasks. Its shape is the wire's (PlanStage in
// protocol/messages.ts): the JobSpec carries it to the JobManager.

import type { StreamNode } from '../api/stream-graph.js';
import type { PlanStage } from '../protocol/messages.js';
import type { JobPlan } from './job-plan.js';

type PlanStep = PlanStage['steps'][number];

export function planStages(plan: JobPlan): PlanStage[] {
  return plan.stages.map((stage) => {
    const reads = stage.input
      ? [{ topic: stage.input.topic, kind: 'repartition' as const }]
      : stage.topics.map((topic) => ({ topic, kind: 'source' as const }));
    const steps: PlanStep[] = [];
    const writes: PlanStage['writes'][number][] = [];
    for (const node of stage.nodes) {
      if (node.kind === 'sink') writes.push({ name: node.sink.name, kind: node.late ? 'late' : 'sink' });
      else if (node.kind === 'operator') steps.push(stepOf(plan, node));
    }
    for (const r of stage.repartitions)
      writes.push({ name: r.topic, kind: 'repartition', toStage: r.toStage });
    return { id: stage.id, reads, steps, writes };
  });
}

function stepOf(plan: JobPlan, node: Extract<StreamNode, { kind: 'operator' }>): PlanStep {
  const op = node.operator;
  if (op.kind === 'keyed') {
    const step = plan.stages.flatMap((s) => s.steps).find((s) => s.node === node);
    return {
      id: node.id,
      kind: op.kind,
      label: op.processor.description ?? 'process',
      name: op.processor.name,
      ...(step ? { changelog: step.changelog } : {}),
    };
  }
  if (op.kind === 'keyBy') {
    const r = plan.repartitions.find((x) => x.keyBy === node);
    return { id: node.id, kind: op.kind, label: r ? `keyBy → stage ${r.toStage}` : 'keyBy (no repartition)' };
  }
  return { id: node.id, kind: op.kind, label: op.kind };
}
