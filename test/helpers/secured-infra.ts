// A Kafka broker and a Redis that ask what production servers ask, started by the project's own
// infra code on free ports in a private directory: a SASL_SSL listener (SCRAM-SHA-256 and PLAIN
// users) and a mutual-TLS listener with a certificate from a private CA, and a Redis that speaks
// TLS only and wants a password (requirepass, and an ACL user). Generated passwords, per run.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secret } from '../../src/config/secret.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { probeKafka } from '../../src/connectors/kafka/readiness.js';
import { pingRedis } from '../../src/connectors/redis/redis-client.js';
import { kafkaLogTail, runningKafkaPid, startKafka, stopKafka } from '../../src/infra/kafka/kafka-broker.js';
import { findFreePort } from '../../src/infra/ports.js';
import { findProcesses } from '../../src/infra/process-control.js';
import { redisLogTail, startRedis, stopRedis } from '../../src/infra/redis/redis-server.js';
import { createTlsFiles, type TlsFiles } from '../../src/infra/tls-files.js';

export interface User {
  name: string;
  password: string;
}

export interface SecuredInfra {
  /** Everything of this run: TLS files, server state, password files. Removed by stop(). */
  dir: string;
  tls: TlsFiles;
  kafka: {
    /** The unsecured listener, which the broker keeps for itself and tests use to set up. */
    plaintext: string;
    /** SASL_SSL: SCRAM-SHA-256 and PLAIN, both users known to both. */
    saslSsl: string;
    /** SSL with a client certificate signed by the CA required. */
    mutualTls: string;
    users: { scram: User; plain: User };
  };
  redis: {
    /** rediss://127.0.0.1:<port>: TLS only, the plain port is off. */
    url: string;
    /** The `default` user's password (requirepass). */
    defaultPassword: string;
    /** An ACL user with every permission. */
    user: User;
  };
  /** Every password of this run, for tests that check none leaks. */
  secrets: string[];
  /** A file holding `text`, readable by its owner only (as a password file should be). */
  secretFile(name: string, text: string): string;
  stop(): Promise<void>;
}

/** Generated passwords keep to the characters the server configurations take unquoted. */
const password = () => randomBytes(12).toString('hex');

export async function startSecuredInfra(cacheDir: string): Promise<SecuredInfra> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-secured-'));
  const stateDir = path.join(dir, 'state');
  const tls = createTlsFiles(path.join(dir, 'tls'));
  const users = {
    scram: { name: 'sluice-scram', password: password() },
    plain: { name: 'sluice-plain', password: password() },
  };
  const redisUser = { name: 'sluice-app', password: password() };
  const defaultPassword = password();
  const ports = {
    kafka: await findFreePort(),
    controller: await findFreePort(),
    saslSsl: await findFreePort(),
    mutualTls: await findFreePort(),
    redis: await findFreePort(),
  };
  const redisUrl = `rediss://127.0.0.1:${ports.redis}`;
  const stop = async () => {
    await stopKafka(stateDir).catch(() => {});
    await stopRedis(stateDir).catch(() => {});
    const strays = findProcesses(stateDir);
    rmSync(dir, { recursive: true, force: true });
    if (strays.length > 0) throw new Error(`processes of ${stateDir} still running: ${strays.join(', ')}`);
  };
  try {
    await startKafka({
      stateDir,
      cacheDir,
      port: ports.kafka,
      controllerPort: ports.controller,
      heap: '384m',
      secured: {
        saslSslPort: ports.saslSsl,
        mtlsPort: ports.mutualTls,
        keystore: { location: tls.serverKeystore, password: tls.keystorePassword },
        clientCaLocation: tls.caCert,
        users: [users.scram, users.plain],
      },
    });
    startRedis(stateDir, ports.redis, '127.0.0.1', {
      tls: { certFile: tls.serverCert, keyFile: tls.serverKey, caFile: tls.caCert },
      password: defaultPassword,
      users: [redisUser],
    });
    const asDefault = { url: redisUrl, password: new Secret(defaultPassword), tlsCaLocation: tls.caCert };
    await until(
      'the secured Redis to answer',
      15_000,
      async () => ((await pingRedis(asDefault, 1000).catch(() => undefined)) ? true : undefined),
      () => redisLogTail(stateDir),
    );
    // The broker is up when its own listener answers; the secured ones open with it.
    await until(
      'the secured Kafka broker to answer',
      90_000,
      async () => {
        if (runningKafkaPid(stateDir) === undefined)
          throw new Error(`the broker exited:\n${kafkaLogTail(stateDir)}`);
        const probe = await probeKafka(
          { bootstrapServers: `127.0.0.1:${ports.kafka}`, security: PLAINTEXT },
          1000,
        );
        return probe.ok ? true : undefined;
      },
      () => kafkaLogTail(stateDir),
    );
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return {
    dir,
    tls,
    kafka: {
      plaintext: `127.0.0.1:${ports.kafka}`,
      saslSsl: `127.0.0.1:${ports.saslSsl}`,
      mutualTls: `127.0.0.1:${ports.mutualTls}`,
      users,
    },
    redis: { url: redisUrl, defaultPassword, user: redisUser },
    secrets: [
      users.scram.password,
      users.plain.password,
      redisUser.password,
      defaultPassword,
      tls.keystorePassword,
    ],
    secretFile: (name, text) => {
      const file = path.join(dir, name);
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    },
    stop,
  };
}

/** Polls `check` until it returns true, or fails after timeoutMs with the server's log. */
async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<true | undefined>,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await check()) === true) return;
    await sleep(250);
  }
  throw new Error(`Timed out after ${timeoutMs}ms waiting for ${what}. Last lines of its log:\n${log()}`);
}
