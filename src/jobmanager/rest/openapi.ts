// The OpenAPI 3.1 document of the JobManager's REST API, generated from the same zod schemas the
// handlers are typed with, so the document cannot drift from what the API returns.

import { z } from 'zod';
import { SLUICE_VERSION } from './cluster-view.js';
import {
  CheckpointConfig,
  Checkpoints,
  ErrorBody,
  JobDetail,
  JobsOverview,
  Overview,
  Partitions,
  TaskManagerInfo,
  TaskManagers,
} from './rest-schemas.js';

const json = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' });

function ok(description: string, schema: z.ZodType, notFound = false) {
  return {
    '200': { description, content: { 'application/json': { schema: json(schema) } } },
    ...(notFound
      ? { '404': { description: 'Not found', content: { 'application/json': { schema: json(ErrorBody) } } } }
      : {}),
  };
}

const idParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

/** Path (OpenAPI form) → the response schema of its 200 answer: the tests validate every endpoint against it. */
export const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  '/overview': Overview,
  '/taskmanagers': TaskManagers,
  '/taskmanagers/{taskmanagerid}': TaskManagerInfo,
  '/jobs': JobsOverview,
  '/jobs/{jobid}': JobDetail,
  '/jobs/{jobid}/checkpoints': Checkpoints,
  '/jobs/{jobid}/checkpoints/config': CheckpointConfig,
  '/partitions': Partitions,
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sluice JobManager REST API',
      version: SLUICE_VERSION,
      description:
        "Flink's REST conventions where Flink has the same resource; read-only. Served at /openapi.json.",
    },
    paths: {
      '/overview': {
        get: {
          summary: 'Cluster overview',
          responses: ok('TaskManagers, slots (partitions) and jobs', Overview),
        },
      },
      '/taskmanagers': {
        get: {
          summary: 'All TaskManagers',
          responses: ok('Every TaskManager the JobManager knows', TaskManagers),
        },
      },
      '/taskmanagers/{taskmanagerid}': {
        get: {
          summary: 'One TaskManager',
          parameters: [idParam('taskmanagerid', 'e.g. TM-07')],
          responses: ok('The TaskManager', TaskManagerInfo, true),
        },
      },
      '/jobs': {
        get: { summary: 'Jobs and their states', responses: ok('The job of this JobManager', JobsOverview) },
      },
      '/jobs/{jobid}': {
        get: {
          summary: 'A job with its vertex and tasks',
          parameters: [idParam('jobid', 'The job run id')],
          responses: ok('The job', JobDetail, true),
        },
      },
      '/jobs/{jobid}/checkpoints': {
        get: {
          summary: "A job's checkpoints",
          parameters: [idParam('jobid', 'The job run id')],
          responses: ok('Counts, latest and recent history', Checkpoints, true),
        },
      },
      '/jobs/{jobid}/checkpoints/config': {
        get: {
          summary: "A job's checkpointing settings",
          parameters: [idParam('jobid', 'The job run id')],
          responses: ok('Mode, when Kafka-sink tasks commit, interval and timeout', CheckpointConfig, true),
        },
      },
      '/partitions': {
        get: {
          summary: 'Who owns each partition (Sluice)',
          description:
            'Owner, position, committed and end offset, lag, last checkpointed position, ownership history.',
          responses: ok('Every partition of the source topic', Partitions),
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: {
            '200': {
              description: 'Prometheus text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
    },
  };
}
