/**
 * Passthrough requests the upstream holds (e.g. `/mcp/vision/explain` waiting on a model) never take the
 * upstream capacity OTA checks need: with 300 of them held, every check still gets the upstream's rewritten
 * reply well within `timeout_ms`, not the fallback (docs/configuration.md "Fleet and hardening amendments").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const HELD = 300;
/** Generous, so a busy machine cannot blur it: a starved check waits all of it and gets the fallback. */
const TIMEOUT_MS = 5000;

describe('held passthrough requests and OTA checks', () => {
  let h: Harness;
  const clients: Socket[] = [];
  before(async () => {
    h = await startHarness({
      responder: (req) =>
        req.url.startsWith('/mcp/') ? { kind: 'hang' } : { kind: 'capture', name: 'python-default-post' },
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        '  url: {{upstream}}',
        `  timeout_ms: ${TIMEOUT_MS}`,
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'passthrough:',
        `  max_concurrent: ${HELD}`,
        '',
      ].join('\n'),
    });
  });
  after(async () => {
    for (const socket of clients) socket.destroy();
    await h.close();
  });

  test(`${HELD} held passthrough requests do not delay OTA checks`, async () => {
    for (let i = 0; i < HELD; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: h.port });
      socket.on('error', () => {});
      socket.write(`GET /mcp/vision/explain?n=${i} HTTP/1.1\r\nHost: proxy.lan\r\n\r\n`);
      clients.push(socket);
    }
    const held = (): number => h.upstream.received.filter((r) => r.url.startsWith('/mcp/')).length;
    // 256 is as many sockets as one keep-alive pool for everything would hand out.
    await eventually(() => held() >= 256, { timeoutMs: 15_000, what: 'passthrough requests held upstream' });

    const checks = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const started = performance.now();
        const res = await rawRequest(h.port, deviceCheck());
        return { res, ms: performance.now() - started };
      }),
    );
    for (const { res, ms } of checks) {
      assert.equal(res.status, 200);
      assert.ok(ms < TIMEOUT_MS / 2, `a check took ${Math.round(ms)} ms`);
    }
    const lines = await eventually(() => (h.exchanges().length >= 5 ? h.exchanges() : null), {
      what: 'five log lines',
    });
    assert.deepEqual(
      lines.map((l) => l.outcome),
      ['rewritten', 'rewritten', 'rewritten', 'rewritten', 'rewritten'],
    );
    // And the passthrough requests were all carried, none refused or queued behind the checks.
    await eventually(() => held() === HELD, { timeoutMs: 5000, what: `all ${HELD} held upstream` });
  });
});
