// A job definition and its parameters → the plan the runtime runs: the job's graph, the topics it
// reads, its sinks (numbered), and its stages. Today a job is one stage (no repartition yet); a
// task is (stage, source partition). Every check of a job's shape happens here, once, before any
// process starts: a job that cannot run never reaches a TaskManager.

import { JobBuilder, type JobDefinition } from '../api/job-definition.js';
import type { SinkNode, SourceNode, StreamGraph, StreamNode } from '../api/stream-graph.js';
import { describeCause, SluiceError } from '../errors/sluice-error.js';
import { type RawParameters, resolveParameters } from './job-parameters.js';

export interface StagePlan {
  readonly id: number;
  /** The topics this stage reads: each partition of each is one task. */
  readonly topics: readonly string[];
  readonly sources: readonly SourceNode[];
}

export interface JobPlan {
  readonly name: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly graph: StreamGraph;
  /** Every topic the job reads, in the order its sources name them. */
  readonly sourceTopics: readonly string[];
  /** The job's sinks; a sink's index here is how batches address it. */
  readonly sinks: readonly SinkNode[];
  readonly stages: readonly StagePlan[];
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
  return {
    name: definition.name,
    parameters,
    graph,
    sourceTopics,
    sinks: graph.sinks,
    stages: [{ id: 0, topics: sourceTopics, sources }],
  };
}

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
  return `${node.operator.kind} #${node.id}`;
}
