// The child process behind GroupDescriber: it owns an AdminClient and answers describe requests
// over IPC. It exists because the client's native describeGroups conversion dereferences a NULL
// assignor name whenever the broker answers with a group-level error (e.g. a group being created,
// a coordinator loading after a restart) and kills its process with SIGSEGV; here, only this child.

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

interface Request {
  type: 'describe';
  id: number;
  groupId: string;
  timeoutMs: number;
}

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
  void answer(message).then((reply) => process.send?.(reply));
});

async function answer(request: Request): Promise<unknown> {
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
