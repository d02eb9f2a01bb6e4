// The JobManager's read-only REST API, Prometheus endpoint, OpenAPI document and dashboard, as
// fastify routes. Bound where the JobManager listens (loopback unless told otherwise).

import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import {
  type ClusterView,
  checkpointConfigOf,
  checkpointsOf,
  jobDetailOf,
  overviewOf,
  partitionsOf,
  taskManagerInfo,
} from './cluster-view.js';
import { createMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';

const DASHBOARD: Record<string, string> = {
  '/': 'index.html',
  '/dashboard.js': 'dashboard.js',
  '/dashboard.css': 'dashboard.css',
};
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export function registerRestApi(server: FastifyInstance, view: ClusterView): void {
  const metrics = createMetrics(view);
  const notFound = (what: string) => ({ errors: [`${what} not found`] });

  server.get('/overview', async () => overviewOf(view));
  server.get('/taskmanagers', async () => ({
    taskmanagers: view.registry.list().map((t) => taskManagerInfo(t)),
  }));
  server.get<{ Params: { id: string } }>('/taskmanagers/:id', async (request, reply) => {
    const tm = view.registry.get(request.params.id);
    if (!tm) return reply.code(404).send(notFound(`TaskManager ${request.params.id}`));
    return taskManagerInfo(tm);
  });
  server.get('/jobs', async () => ({ jobs: [{ id: view.job.runId, status: view.jobState }] }));
  server.get<{ Params: { jobid: string } }>('/jobs/:jobid', async (request, reply) => {
    if (request.params.jobid !== view.job.runId)
      return reply.code(404).send(notFound(`job ${request.params.jobid}`));
    return jobDetailOf(view);
  });
  server.get<{ Params: { jobid: string } }>('/jobs/:jobid/checkpoints', async (request, reply) => {
    if (request.params.jobid !== view.job.runId)
      return reply.code(404).send(notFound(`job ${request.params.jobid}`));
    return checkpointsOf(view);
  });
  server.get<{ Params: { jobid: string } }>('/jobs/:jobid/checkpoints/config', async (request, reply) => {
    if (request.params.jobid !== view.job.runId)
      return reply.code(404).send(notFound(`job ${request.params.jobid}`));
    return checkpointConfigOf(view);
  });
  server.get('/partitions', async () => partitionsOf(view));
  server.get('/metrics', async (_request, reply) => {
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
  server.get('/openapi.json', async () => openApiDocument());

  // Browsers ask for it; an empty answer keeps their consoles free of 404s.
  server.get('/favicon.ico', async (_request, reply) => reply.code(204).send());

  // The dashboard: three static files next to this build, read once (no CDN, nothing else fetched).
  for (const [route, file] of Object.entries(DASHBOARD)) {
    const body = readFileSync(new URL(`../../dashboard/${file}`, import.meta.url), 'utf8');
    const type = TYPES[file.split('.').pop() ?? 'html'] ?? 'text/plain';
    server.get(route, async (_request, reply) =>
      reply.type(type).header('cache-control', 'no-store').send(body),
    );
  }
}
