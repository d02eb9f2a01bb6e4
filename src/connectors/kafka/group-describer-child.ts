// The child process behind GroupDescriber: it owns an AdminClient and answers describe requests
// over IPC. It exists because the client's native describeGroups conversion dereferences a NULL
// assignor name whenever the broker answers with a group-level error (e.g. a group being created,
// a coordinator loading after a restart) and kills its process with SIGSEGV; here, only this child.

import { baseClientConfig } from './client-config.js';
import { AdminClient, type GroupDescription, type GroupOverview } from './rdkafka.js';

interface Request {
  id: number;
  groupId: string;
  timeoutMs: number;
}

const [bootstrapServers = '', clientId = 'sluice-describer'] = process.argv.slice(2);
const admin = AdminClient.create(baseClientConfig({ bootstrapServers, clientId }), {
  'event.error': () => {},
  'event.log': () => {},
});

// Leave with the parent: a describer must never outlive its JobManager.
process.on('disconnect', () => {
  admin.disconnect();
  process.exit(0);
});

process.on('message', (request: Request) => {
  void answer(request).then((reply) => process.send?.(reply));
});

async function answer(request: Request): Promise<unknown> {
  try {
    // A group the broker does not list yet would come back as a group-level error: skip describing it.
    const listed = await new Promise<GroupOverview[]>((resolve, reject) =>
      admin.listGroups({ timeout: request.timeoutMs }, (err, result) =>
        err ? reject(err) : resolve(result.groups),
      ),
    );
    if (!listed.some((g) => g.groupId === request.groupId))
      return { id: request.id, ok: true, group: undefined };
    const group = await new Promise<GroupDescription | undefined>((resolve, reject) =>
      admin.describeGroups([request.groupId], { timeout: request.timeoutMs }, (err, result) =>
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
