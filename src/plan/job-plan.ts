// A job definition and its parameters → the plan the runtime runs: the job's graph, the topics it
// reads, its sinks (numbered), and its stages. A stage ends where a `keyBy` must repartition: the
// records go to an internal topic `<job>-<stage>-repartition`, keyed, and the next stage reads it. A
// task is (stage, partition of its input topic). Every check of a job's shape happens here, once,
// before any process starts: a job that cannot run never reaches a TaskManager.

import { JobBuilder, type JobDefinition } from '../api/job-definition.js';
import type { KeyedProcessor } from '../api/keyed-stream.js';
import { kafkaSink } from '../api/sinks.js';
import type { StateSpec } from '../api/state.js';
import type { OperatorNode, SinkNode, SourceNode, StreamGraph, StreamNode } from '../api/stream-graph.js';
import { describeCause, SluiceError } from '../errors/sluice-error.js';
import { type RawParameters, resolveParameters } from './job-parameters.js';

export interface StagePlan {
  readonly id: number;
  /** The topics this stage reads: each partition of each is one task. */
  readonly topics: readonly string[];
  /** Stage 0: the job's sources. */
  readonly sources: readonly SourceNode[];
  /** A later stage: the repartition topic it reads. */
  readonly input: RepartitionPlan | undefined;
  /** The stage's stateful steps, in graph order: each has a changelog topic. */
  readonly steps: readonly StepPlan[];
  /** The repartition topics this stage writes. */
  readonly repartitions: readonly RepartitionPlan[];
  /** The graph's nodes this stage runs (sources, operators, the job's sinks), in graph order. */
  readonly nodes: readonly StreamNode[];
}

export interface StepPlan {
  readonly name: string;
  readonly node: OperatorNode;
  readonly processor: KeyedProcessor<unknown, unknown, StateSpec>;
  /** `<job>-<step>-changelog`: compacted, one partition per task of the stage. */
  readonly changelog: string;
}

export interface RepartitionPlan {
  /** `<job>-<stage>-repartition`. */
  readonly topic: string;
  /** The keyBy whose records it carries. */
  readonly keyBy: OperatorNode;
  readonly fromStage: number;
  readonly toStage: number;
  /** Its index among the plan's sinks (the stage writes it like a Kafka sink). */
  readonly sink: number;
}

export interface JobPlan {
  readonly name: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly graph: StreamGraph;
  /** Every topic the job reads, in the order its sources name them. */
  readonly sourceTopics: readonly string[];
  /** Source topics whose partition count the job fixed (`fromKafka(..., { partitions })`). */
  readonly expectedPartitions: ReadonlyMap<string, number>;
  /** The job's sinks, then one per repartition topic; a sink's index here is how batches address it. */
  readonly sinks: readonly SinkNode[];
  readonly stages: readonly StagePlan[];
  /** Internal topics: repartition topics (between stages) and changelog topics (of stateful steps). */
  readonly repartitions: readonly RepartitionPlan[];
  readonly changelogs: readonly string[];
}

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function planJob(definition: JobDefinition, raw: RawParameters): JobPlan {
  return buildPlan(definition, resolveParameters(definition, raw));
}

/** The plan for parameters already read through the job's schema (the test driver passes values). */
export function buildPlan(definition: JobDefinition, parameters: Record<string, unknown>): JobPlan {
  const builder = new JobBuilder();
  try {
    definition.build(builder, parameters);
  } catch (error) {
    throw new SluiceError(
      'JOB_DEFINITION_INVALID',
      `Job '${definition.name}': its build function threw: ${describeCause(error)}. Fix the job's code.`,
      { cause: error },
    );
  }
  const graph = builder.graph;
  const problems = checkGraph(graph);
  if (problems.length > 0) {
    throw new SluiceError(
      'JOB_DEFINITION_INVALID',
      `Job '${definition.name}' cannot run:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      { details: { problems } },
    );
  }
  const sources = graph.sources;
  const sourceTopics = sources.flatMap((s) => s.topics);
  const expectedPartitions = new Map<string, number>();
  for (const source of sources)
    for (const topic of source.topics) {
      if (source.partitions === undefined) continue;
      const earlier = expectedPartitions.get(topic);
      if (earlier !== undefined && earlier !== source.partitions)
        throw new SluiceError(
          'JOB_DEFINITION_INVALID',
          `Job '${definition.name}' expects topic '${topic}' to have ${earlier} partitions in one source and ${source.partitions} in another. Fix: give both the same count.`,
          { details: { topic } },
        );
      expectedPartitions.set(topic, source.partitions);
    }
  const { stages, repartitions, sinks } = splitStages(definition.name, graph);
  const stepProblems = checkSteps(stages);
  if (stepProblems.length > 0) {
    throw new SluiceError(
      'JOB_DEFINITION_INVALID',
      `Job '${definition.name}' cannot run:\n${stepProblems.map((p) => `- ${p}`).join('\n')}`,
      { details: { problems: stepProblems } },
    );
  }
  return {
    name: definition.name,
    parameters,
    graph,
    sourceTopics,
    expectedPartitions,
    sinks,
    stages,
    repartitions,
    changelogs: stages.flatMap((s) => s.steps.map((step) => step.changelog)),
  };
}

/** Cuts the graph at each repartitioning keyBy: the keyBy ends its stage, its children start the next. */
function splitStages(
  job: string,
  graph: StreamGraph,
): { stages: StagePlan[]; repartitions: RepartitionPlan[]; sinks: SinkNode[] } {
  const sinks = [...graph.sinks];
  const stageOf = new Map<number, number>();
  type Draft = {
    id: number;
    topics: string[];
    sources: SourceNode[];
    input: RepartitionPlan | undefined;
    steps: StepPlan[];
    repartitions: RepartitionPlan[];
    nodes: StreamNode[];
  };
  const drafts: Draft[] = [
    {
      id: 0,
      topics: graph.sources.flatMap((s) => s.topics),
      sources: graph.sources,
      input: undefined,
      steps: [],
      repartitions: [],
      nodes: [],
    },
  ];
  const repartitions: RepartitionPlan[] = [];
  for (const node of graph.nodes) {
    if (node.kind === 'source') {
      stageOf.set(node.id, 0);
      drafts[0]?.nodes.push(node);
      continue;
    }
    const parent = node.parent;
    let stage = stageOf.get(parent.id) ?? 0;
    if (parent.kind === 'operator' && parent.operator.kind === 'keyBy' && parent.operator.repartition) {
      // The keyBy belongs to the stage before; its children read its repartition topic.
      const existing = repartitions.find((r) => r.keyBy === parent);
      if (existing) stage = existing.toStage;
      else {
        const id = drafts.length;
        const topic = `${job}-${id}-repartition`;
        const sink = sinks.length;
        sinks.push({
          id: parent.id,
          kind: 'sink',
          sink: kafkaSink({ topic, name: `repartition:${topic}` }),
          parent: parent.parent,
          children: [],
        });
        const plan: RepartitionPlan = { topic, keyBy: parent, fromStage: stage, toStage: id, sink };
        repartitions.push(plan);
        drafts[stage]?.repartitions.push(plan);
        drafts.push({
          id,
          topics: [topic],
          sources: [],
          input: plan,
          steps: [],
          repartitions: [],
          nodes: [],
        });
        stage = id;
      }
    }
    stageOf.set(node.id, stage);
    drafts[stage]?.nodes.push(node);
    if (node.kind === 'operator' && node.operator.kind === 'keyed') {
      const { processor } = node.operator;
      drafts[stage]?.steps.push({
        name: processor.name,
        node,
        processor,
        changelog: `${job}-${processor.name}-changelog`,
      });
    }
  }
  return { stages: drafts, repartitions, sinks };
}

function checkSteps(stages: readonly StagePlan[]): string[] {
  const problems: string[] = [];
  const names = new Map<string, number>();
  for (const step of stages.flatMap((s) => s.steps)) {
    names.set(step.name, (names.get(step.name) ?? 0) + 1);
    if (!STEP_NAME.test(step.name))
      problems.push(
        `the keyed step name ${JSON.stringify(step.name)} is not valid: use 1-100 letters, digits, '.', '_' or '-'`,
      );
    else if (!TOPIC.test(step.changelog))
      problems.push(
        `the changelog topic '${step.changelog}' is not a Kafka topic name: shorten the job or step name`,
      );
  }
  for (const [name, count] of names) {
    if (count > 1)
      problems.push(
        `${count} keyed steps (process or window) are named '${name}': give each its own name (their state is kept by name)`,
      );
  }
  return problems;
}

const STEP_NAME = /^[A-Za-z0-9._-]{1,100}$/;

function checkGraph(graph: StreamGraph): string[] {
  const problems: string[] = [];
  if (graph.sources.length === 0)
    problems.push('it reads nothing: start a stream with job.fromKafka(topic, deserializer)');
  const readers = new Map<string, number>();
  for (const source of graph.sources) {
    if (source.topics.length === 0) problems.push(`${describe(source)} names no topic`);
    for (const topic of source.topics) {
      if (!TOPIC.test(topic))
        problems.push(
          `topic ${JSON.stringify(topic)} is not a Kafka topic name (1-249 of letters, digits, '.', '_', '-')`,
        );
      readers.set(topic, (readers.get(topic) ?? 0) + 1);
    }
  }
  for (const [topic, count] of readers) {
    if (count > 1)
      problems.push(`topic '${topic}' is read by ${count} sources: read it once and branch the stream`);
  }
  for (const node of graph.nodes) {
    if (node.kind !== 'sink' && node.children.length === 0)
      problems.push(`the stream of ${describe(node)} reaches no sink: end it with .sinkTo(...)`);
  }
  const names = new Map<string, number>();
  for (const sink of graph.sinks) names.set(sink.sink.name, (names.get(sink.sink.name) ?? 0) + 1);
  for (const [name, count] of names) {
    if (count > 1)
      problems.push(`${count} sinks are named '${name}': give each its own name (the \`name\` option)`);
  }
  for (const sink of graph.sinks) {
    if (sink.sink.kind === 'kafka' && !TOPIC.test(sink.sink.topic))
      problems.push(
        `sink '${sink.sink.name}' writes to ${JSON.stringify(sink.sink.topic)}, not a Kafka topic name`,
      );
  }
  return problems;
}

/** "fromKafka('lines')" or "map #3": how a node is named in messages. */
export function describe(node: StreamNode): string {
  if (node.kind === 'source') return `fromKafka(${node.topics.map((t) => `'${t}'`).join(', ')})`;
  if (node.kind === 'sink') return `sink '${node.sink.name}'`;
  if (node.operator.kind === 'keyed') return `keyed step '${node.operator.processor.name}'`;
  return `${node.operator.kind} #${node.id}`;
}
