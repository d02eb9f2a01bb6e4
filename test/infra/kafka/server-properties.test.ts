import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverProperties } from '../../../src/infra/kafka/server-properties.js';

function parse(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    assert.ok(!map.has(line.slice(0, i)), `duplicate key ${line.slice(0, i)}`);
    map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

describe('serverProperties', () => {
  const props = parse(serverProperties({ port: 19092, controllerPort: 19093, dataDir: '/d' }));

  it('describes one combined KRaft node on loopback', () => {
    assert.equal(props.get('process.roles'), 'broker,controller');
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
    assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
    assert.equal(props.get('log.dirs'), '/d');
  });

  it('sizes internal topics for a single replica', () => {
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
    ]) {
      assert.equal(props.get(key), '1', key);
    }
  });

  it('allows fast failover: session within bounds, heartbeat below session', () => {
    const n = (k: string) => Number(props.get(k));
    assert.ok(n('group.consumer.min.session.timeout.ms') <= n('group.consumer.session.timeout.ms'));
    assert.ok(n('group.consumer.min.heartbeat.interval.ms') <= n('group.consumer.heartbeat.interval.ms'));
    assert.ok(n('group.consumer.heartbeat.interval.ms') < n('group.consumer.session.timeout.ms'));
    assert.ok(n('group.consumer.session.timeout.ms') <= 10_000, 'takeover within seconds');
    assert.ok(n('group.min.session.timeout.ms') <= 6000, 'the classic client session of 6 s is allowed');
  });

  it('does not restrict the group protocols (classic and consumer stay enabled)', () => {
    assert.equal(props.has('group.coordinator.rebalance.protocols'), false);
  });
});
