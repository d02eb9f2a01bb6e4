// Names that reach the dashboard are text, never markup (issue 14): a TaskManager whose id and host
// carry HTML and script (in a job whose name and description do too) is shown literally in headless
// Chromium, and none of it runs.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { TASKMANAGER_SOCKET_PATH } from '../../src/protocol/messages.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { startTestCluster, type TestCluster, testJobSpec } from '../helpers/cluster.js';
import { testEnv } from '../helpers/test-env.js';

/** Each payload bumps window.__pwned if it ever runs as markup. */
const img = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">';
const script = '<script>window.__pwned=(window.__pwned||0)+1</script>';

describe('the dashboard shows hostile names as text', { timeout: 120_000 }, () => {
  const job = testJobSpec();
  job.spec.job.name = `orders${img}`;
  job.spec.job.description = `counts ${script}`;
  let t: TestCluster;
  let redis: Redis;
  let socket: WebSocket | undefined;
  before(async () => {
    redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
    const store = new CheckpointStore(redis, job.groupId);
    t = await startTestCluster(job.spec, { checkpointing: { intervalMs: 300, timeoutMs: 3000, store } });
  });
  after(async () => {
    socket?.terminate();
    await t.cluster.shutdown(5000);
    redis.disconnect();
  });

  it('renders every hostile string literally and runs none of it', async () => {
    const url = t.cluster.jobManager.url;
    const id = `TM-<b>bold</b>${img}`;
    const host = `evil${script}`;
    socket = new WebSocket(`${url.replace('http', 'ws')}${TASKMANAGER_SOCKET_PATH}`);
    const ws = socket;
    const registered = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (message.type === 'challenge')
          ws.send(
            JSON.stringify({
              type: 'register',
              taskManagerId: id,
              pid: 4242,
              host,
              clientId: `sluice-${id}`,
            }),
          );
        else if (message.type === 'registered') resolve();
        else if (message.type === 'rejected') reject(new Error(String(data)));
      });
      ws.once('error', reject);
    });
    await registered;

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`${url}/`);
      // (Page code as strings: this project's TypeScript has no DOM types.)
      await page.waitForFunction(`document.body.textContent.includes(${JSON.stringify(id)})`, undefined, {
        timeout: 15_000,
      });
      await page.screenshot({ path: screenshotPath('dashboard-hostile-names.png'), fullPage: true });
      const text = (await page.locator('body').textContent()) ?? '';
      for (const literal of [id, host]) assert.ok(text.includes(literal), `shown as text: ${literal}`);
      assert.equal(await page.evaluate('window.__pwned'), undefined, 'no payload ran');
      assert.equal(await page.locator('img[src="x"], b').count(), 0, 'no element made from a name');
      assert.deepEqual(dialogs, []);
    } finally {
      await browser.close();
    }
  });
});
