// SLUICE_KAFKA_DEBUG: librdkafka's debug contexts reach every client built from a connection that
// carries them, and their log lines are printed with the client's id; without them, nothing changes.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { baseClientConfig, PLAINTEXT, printClientLog } from '../../../src/connectors/kafka/client-config.js';

const options = { bootstrapServers: '127.0.0.1:9092', clientId: 'sluice-TM-01', security: PLAINTEXT };

describe('Kafka client debug', () => {
  it('sets the debug contexts and the level that lets their lines through', () => {
    const config = baseClientConfig({ ...options, debug: 'cgrp,eos' });
    assert.equal(config.debug, 'cgrp,eos');
    assert.equal(config.log_level, 7);
  });

  it('leaves both alone without debug', () => {
    const config = baseClientConfig(options);
    assert.equal(config.debug, undefined);
    assert.equal(config.log_level, 3);
  });

  it("prints each log line on stderr with the client's id, only when asked", (t) => {
    const printed: string[] = [];
    t.mock.method(process.stderr, 'write', (chunk: string) => {
      printed.push(chunk);
      return true;
    });
    const quiet = new EventEmitter();
    printClientLog(quiet, options);
    assert.equal(quiet.listenerCount('event.log'), 0);
    const client = new EventEmitter();
    printClientLog(client, { ...options, debug: 'cgrp' });
    client.emit('event.log', { severity: 7, fac: 'HEARTBEAT', message: 'Heartbeat for fetch' });
    assert.deepEqual(printed, ['librdkafka sluice-TM-01 HEARTBEAT: Heartbeat for fetch\n']);
  });
});
