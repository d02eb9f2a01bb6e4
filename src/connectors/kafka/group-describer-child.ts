// The child process behind GroupDescriber: it owns an AdminClient and answers describe and
// committed-offsets requests over IPC. It exists because the native client kills its process on
// group requests in two known ways: describeGroups' conversion dereferences a NULL assignor name
// whenever the broker answers with a group-level error (a group being created, a coordinator
// loading after a restart: SIGSEGV), and a group-coordinator request that times out while the
// broker restarts can trip `rd_kafka_enq_once_del_source_return: Assertion eonce->refcnt > 0`
// (SIGABRT; librdkafka issues #4605, #3663). Here, only this child dies.

import {
  AdminClient,
  type GlobalConfig,
  type GroupDescription,
  type GroupOverview,
  type IAdminClient,
} from './rdkafka.js';

/** The first message: the client settings, sent over IPC because they may hold a password. */
interface Init {
  type: 'init';
  config: GlobalConfig;
}

type Request =
  | { type: 'describe'; id: number; groupId: string; timeoutMs: number }
  | { type: 'committed'; id: number; groupId: string; topic: string; partitions: number; timeoutMs: number };

let admin: IAdminClient | undefined;

// Leave with the parent: a describer must never outlive its JobManager.
process.on('disconnect', () => {
  admin?.disconnect();
  process.exit(0);
});

process.on('message', (message: Init | Request) => {
  if (message.type === 'init') {
    admin ??= AdminClient.create(message.config, { 'event.error': () => {}, 'event.log': () => {} });
    return;
  }
  void (message.type === 'committed' ? committed(message) : answer(message)).then((reply) =>
    process.send?.(reply),
  );
});

/** The group's committed offsets of a topic's partitions, as [partition, offset] pairs. */
async function committed(request: Extract<Request, { type: 'committed' }>): Promise<unknown> {
  const client = admin;
  if (!client) return { id: request.id, ok: false, error: 'the describer got a request before its settings' };
  const partitions = Array.from({ length: request.partitions }, (_, partition) => ({
    topic: request.topic,
    partition,
  }));
  return new Promise((resolve) =>
    client.listConsumerGroupOffsets(
      [{ groupId: request.groupId, partitions }],
      { timeout: request.timeoutMs },
      (err, data) =>
        resolve(
          err
            ? { id: request.id, ok: false, error: err instanceof Error ? err.message : JSON.stringify(err) }
            : {
                id: request.id,
                ok: true,
                offsets: (data[0]?.partitions ?? []).map((p) => [p.partition, p.offset]),
              },
        ),
    ),
  );
}

async function answer(request: Extract<Request, { type: 'describe' }>): Promise<unknown> {
  const client = admin;
  if (!client) return { id: request.id, ok: false, error: 'the describer got a request before its settings' };
  try {
    // A group the broker does not list yet would come back as a group-level error: skip describing it.
    const listed = await new Promise<GroupOverview[]>((resolve, reject) =>
      client.listGroups({ timeout: request.timeoutMs }, (err, result) =>
        err ? reject(err) : resolve(result.groups),
      ),
    );
    if (!listed.some((g) => g.groupId === request.groupId))
      return { id: request.id, ok: true, group: undefined };
    const group = await new Promise<GroupDescription | undefined>((resolve, reject) =>
      client.describeGroups([request.groupId], { timeout: request.timeoutMs }, (err, result) =>
        err ? reject(err) : resolve(result.groups[0]),
      ),
    );
    return { id: request.id, ok: true, group };
  } catch (error) {
    return {
      id: request.id,
      ok: false,
      error: error instanceof Error ? error.message : JSON.stringify(error),
    };
  }
}
