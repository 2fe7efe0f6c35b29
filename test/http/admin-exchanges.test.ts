/** GET /admin/exchanges: the last admin.exchanges OTA exchanges with device, upstream reply, reply sent, rules and repairs — secrets redacted, bounded, resized on reload. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExchangeView } from '../../src/admin/exchanges.js';
import { deviceRequest } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const AUTH = { authorization: 'Bearer t0k' };

async function exchanges(
  h: Harness,
  query = '',
): Promise<{ capacity: number; kept: number; count: number; exchanges: ExchangeView[] }> {
  const res = await fetch(`${h.proxy.url}/admin/exchanges${query}`, { headers: AUTH });
  assert.equal(res.status, 200);
  return (await res.json()) as { capacity: number; kept: number; count: number; exchanges: ExchangeView[] };
}

describe('/admin/exchanges', () => {
  let h: Harness;
  let reply: Reply = { kind: 'capture', name: 'java-mqtt-and-websocket' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      yaml: 'admin:\n  token: t0k\n  exchanges: 3\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nmqtt: strip\n',
    });
  });
  after(() => h.close());

  test('shows device, upstream reply, reply sent and rules, with tokens and passwords redacted', async () => {
    reply = { kind: 'capture', name: 'java-mqtt-and-websocket' };
    await rawRequest(h.port, deviceRequest('python-default-post', { host: '192.168.1.10:8003' }));
    const { exchanges: list } = await exchanges(h);
    const x = list[0];
    assert.ok(x);
    assert.equal(x.kind, 'check');
    assert.deepEqual(x.device, { id: 'aa:bb:cc:dd:ee:01', board: 'bread-compact-wifi', version: '1.6.0' });
    assert.equal(x.upstream?.status, 200);
    assert.equal(x.outcome, 'rewritten');
    assert.deepEqual(x.rules, ['websocket', 'mqtt']);
    assert.match(x.upstreamBody ?? '', /"mqtt":\{/);
    assert.match(x.replyBody ?? '', /ws:\/\/192\.168\.1\.10:8000\/xiaozhi\/v1\//);
    assert.doesNotMatch(x.replyBody ?? '', /"mqtt"/);
    const all = JSON.stringify(list);
    assert.equal(
      all.includes('RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc'),
      false,
      'the websocket token is redacted',
    );
    assert.equal(
      all.includes('cqz6nGvi/T6aYVMcyMr3yhQxws0rOwIzDwXmVBk/qXE='),
      false,
      'the MQTT password is redacted',
    );
    assert.match(all, /\[redacted\]/);
  });

  test('guard repairs are listed', async () => {
    reply = {
      kind: 'json',
      body: {
        websocket: { url: 'ws://a:8000/', version: '3' },
        server_time: { timestamp: 1795300269, timezone_offset: 480 },
      },
    };
    await rawRequest(h.port, deviceRequest('python-default-post'));
    const x = (await exchanges(h)).exchanges[0];
    assert.ok(x?.repairs.includes('websocket.version-number'), JSON.stringify(x?.repairs));
    assert.ok(x?.repairs.includes('server_time.timestamp-ms'), JSON.stringify(x?.repairs));
  });

  test('keeps only the last admin.exchanges, newest first', async () => {
    reply = { kind: 'capture', name: 'python-default-post' };
    for (let i = 0; i < 5; i++)
      await rawRequest(
        h.port,
        deviceRequest('python-default-post', { path: i % 2 === 0 ? '/xiaozhi/ota/' : '/xiaozhi/ota' }),
      );
    const result = await exchanges(h);
    assert.equal(result.capacity, 3);
    assert.equal(result.kept, 3);
    assert.equal(result.exchanges.length, 3);
    assert.deepEqual(
      result.exchanges.map((x) => x.path),
      ['/xiaozhi/ota/', '/xiaozhi/ota', '/xiaozhi/ota/'],
    );
    const times = result.exchanges.map((x) => Date.parse(x.at));
    assert.deepEqual(
      [...times].sort((a, b) => b - a),
      times,
    );
  });

  test('?limit, ?device and ?kind filter the list', async () => {
    assert.equal((await exchanges(h, '?limit=1')).exchanges.length, 1);
    assert.equal((await exchanges(h, '?device=aa:bb:cc:dd:ee:01')).count, 3);
    assert.equal((await exchanges(h, '?device=AA:BB:CC:DD:EE:01')).count, 3);
    assert.equal((await exchanges(h, '?device=11:22:33:44:55:66')).count, 0);
    assert.equal((await exchanges(h, '?kind=activate')).count, 0);
    const bad = await fetch(`${h.proxy.url}/admin/exchanges?limit=-1`, { headers: AUTH });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  });

  test('a reload of admin.exchanges resizes the ring, keeping the newest', async () => {
    const file = join(h.dir, 'proxy.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('exchanges: 3', 'exchanges: 1'));
    assert.equal((await h.proxy.reload('test')).ok, true);
    const result = await exchanges(h);
    assert.equal(result.capacity, 1);
    assert.equal(result.exchanges.length, 1);
    assert.equal(result.exchanges[0]?.path, '/xiaozhi/ota/');
  });
});
