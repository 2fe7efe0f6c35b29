/**
 * /readyz tells the truth about the upstream: beside the breaker's state it reports the last upstream
 * exchange's result (ok, or the failure kind) and when (ISO time and seconds ago) — it no longer says
 * "reachable" after refused checks. The status keeps its meaning: 200 while the breaker is closed or the
 * fallback can answer, 503 otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Readiness } from '../../src/admin/health.js';
import { deviceRequest } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function readyz(h: Harness): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${h.proxy.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

describe('/readyz after refused checks (fallback off)', () => {
  let h: Harness;
  let clock = T0;
  before(async () => {
    const dead = await closedPort();
    h = await startHarness({
      now: () => clock,
      fullYaml: `listen: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:${dead}\n  timeout_ms: 1000\nfallback:\n  enabled: false\nbreaker:\n  failures: 2\n  cooldown_ms: 600000\n`,
    });
  });
  after(() => h.close());

  test('before any exchange: ready, breaker closed, no last exchange', async () => {
    const { status, body } = await readyz(h);
    assert.equal(status, 200);
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.checks.upstream, { breaker: 'closed', last: null });
    assert.equal(body.checks.fallback, 'off');
  });

  test('one refused check: still ready (the breaker is closed), and the refusal is reported with its time', async () => {
    const res = await rawRequest(h.port, deviceRequest('python-default-post'));
    assert.equal(res.status, 502);
    clock = T0 + 7_400;
    const { status, body } = await readyz(h);
    assert.equal(status, 200);
    assert.deepEqual(body.checks.upstream, {
      breaker: 'closed',
      last: { result: 'refused', status: null, at: '2026-03-01T10:00:00.000Z', secondsAgo: 7 },
    });
  });

  test('the breaker opens: not ready, and the last exchange is still the refusal', async () => {
    clock = T0 + 10_000;
    await rawRequest(h.port, deviceRequest('python-default-post'));
    clock = T0 + 12_000;
    const { status, body } = await readyz(h);
    assert.equal(status, 503);
    assert.equal(body.status, 'not ready');
    assert.deepEqual(body.checks.upstream, {
      breaker: 'open',
      last: { result: 'refused', status: null, at: '2026-03-01T10:00:10.000Z', secondsAgo: 2 },
    });
    // With the breaker open nothing goes upstream: the last exchange stays the last real one.
    clock = T0 + 20_000;
    await rawRequest(h.port, deviceRequest('python-default-post'));
    const later = await readyz(h);
    assert.deepEqual(later.body.checks.upstream.last, {
      result: 'refused',
      status: null,
      at: '2026-03-01T10:00:10.000Z',
      secondsAgo: 10,
    });
  });
});

describe('/readyz after a failed and then a good exchange', () => {
  let h: Harness;
  let clock = T0;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({
      now: () => clock,
      responder: () => reply,
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
  });
  after(() => h.close());

  test('a reset is reported as such; the fallback answered, so the proxy is ready', async () => {
    await rawRequest(h.port, deviceRequest('python-default-post'));
    clock = T0 + 1_000;
    const { status, body } = await readyz(h);
    assert.equal(status, 200);
    assert.equal(body.checks.upstream.last?.result, 'reset');
    assert.equal(body.checks.fallback, 'can answer');
  });

  test('a good exchange replaces it: ok, with the status the upstream sent', async () => {
    reply = { kind: 'capture', name: 'python-default-post' };
    clock = T0 + 5_000;
    await rawRequest(h.port, deviceRequest('python-default-post'));
    clock = T0 + 65_000;
    const { status, body } = await readyz(h);
    assert.equal(status, 200);
    assert.deepEqual(body.checks.upstream, {
      breaker: 'closed',
      last: { result: 'ok', status: 200, at: '2026-03-01T10:00:05.000Z', secondsAgo: 60 },
    });
  });
});
