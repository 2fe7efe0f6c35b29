/**
 * A bounded soak: 20,000 device checks (SOAK_CHECKS overrides) from many devices — with an OTA GET or a
 * passthrough request after every tenth — 64 at a time, against an upstream that flaps — resets, 500s, hangs past the timeout, garbage, truncated replies between good ones —
 * while the breaker opens and closes. Zero crashes, every reply a 200 that meets the device contract (the
 * independent oracle), and no growth of open handles or busy upstream sockets afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { contractViolations, type OracleDevice } from '../helpers/device-contract.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const CHECKS = Number(process.env.SOAK_CHECKS ?? 20_000);
const CONCURRENCY = 64;

const GOOD = [
  'python-default-post',
  'python-auth-token',
  'python-mqtt-gateway',
  'java-unbound-device',
  'java-mqtt-and-websocket',
  'python-timezone-fraction',
];

/** The upstream's n-th answer: a rotating mix of failures and good replies. */
function flapping(n: number): Reply {
  switch (n % 10) {
    case 0:
      return { kind: 'reset' };
    case 1:
      return { kind: 'text', status: 500, body: 'Internal Server Error' };
    case 2:
      return { kind: 'hang' };
    case 3:
      return { kind: 'text', body: '<html>502 Bad Gateway</html>' };
    case 4:
      return {
        kind: 'close-after',
        bytes:
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"websocket":{"url":"ws://',
      };
    default:
      return { kind: 'capture', name: GOOD[n % GOOD.length] as string };
  }
}

/** Open handles by type (TCP sockets, timers …), as the process sees them. */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

describe('soak against a flapping upstream', () => {
  let h: Harness;
  let served = 0;
  before(async () => {
    h = await startHarness({
      // Passthrough paths wait 30 s for a silent upstream (docs/configuration.md): they get the same flapping minus hangs.
      responder: (req) => {
        const reply = flapping(served++);
        return reply.kind === 'hang' && !req.url.startsWith('/xiaozhi/ota/') ? { kind: 'reset' } : reply;
      },
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        '  url: {{upstream}}',
        '  timeout_ms: 60',
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'fallback:',
        '  remember_devices: 100',
        'breaker:',
        '  failures: 5',
        '  cooldown_ms: 150',
        'log:',
        '  level: warn',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  async function run(
    count: number,
    offset: number,
  ): Promise<{ violations: string[]; statuses: Map<number, number> }> {
    const violations: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const n = offset + next++;
        if (n % 10 === 7) {
          // Between the checks, other clients: the passthrough (http-proxy) and the OTA GET, same upstream.
          const target = n % 20 === 7 ? '/mcp/vision/explain' : '/xiaozhi/ota/';
          const other = await rawRequest(
            h.port,
            `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
            { timeoutMs: 10_000 },
          );
          // The passthrough relays the upstream's 200 or 500, or answers 502 for a reset; the GET always says 200.
          const expected = target === '/xiaozhi/ota/' ? [200] : [200, 500, 502];
          if (!expected.includes(other.status)) violations.push(`GET ${target}: ${other.statusLine}`);
        }
        const legacy = n % 3 === 0;
        const id = `aa:bb:cc:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n % 251).toString(16).padStart(2, '0')}`;
        const request = deviceCheck({ set: [['Device-Id', id]], drop: legacy ? ['Activation-Version'] : [] });
        const device: OracleDevice = { version: '1.6.0', legacy };
        const res = await rawRequest(h.port, request, { timeoutMs: 10_000 });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const found = contractViolations(res, device);
        if (found.length > 0 && violations.length < 20)
          violations.push(`${found.join('; ')} in ${res.body.toString('utf8').slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { violations, statuses };
  }

  test(`${CHECKS} checks: every reply meets the contract, nothing leaks`, { timeout: 180_000 }, async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      // Warm-up: fills the keep-alive pool to its working size, so the comparison below is like for like.
      await run(500, 0);
      await sleep(200);
      const before = handles();
      const heapBefore = process.memoryUsage().heapUsed;

      const started = performance.now();
      const { violations, statuses } = await run(CHECKS, 500);
      const seconds = (performance.now() - started) / 1000;

      assert.deepEqual(violations, [], 'non-contract replies');
      assert.deepEqual([...statuses.keys()], [200], `statuses ${JSON.stringify([...statuses])}`);
      // Far more than 100 devices got a good reply: the memory is full, and no fuller.
      assert.equal(h.proxy.app.runtime.memory.size, 100, 'the device memory stays bounded');
      // It did flap: rewritten replies, fallbacks for every failure kind, and the breaker opening.
      const lines = h.exchanges();
      const checks = lines.filter((l) => l.msg === 'ota check');
      assert.deepEqual([...new Set(checks.map((l) => l.outcome))].sort(), ['fallback', 'rewritten']);
      // Every failure kind the upstream was made to show, and no other (plus python-mqtt-gateway's rule note).
      const notes = new Set(checks.flatMap((l) => (l.notes as string[] | undefined) ?? []));
      assert.deepEqual([...notes].sort(), [
        ...['bad-status', 'breaker-open', 'not-json', 'reset', 'timeout', 'truncated'].map(
          (f) => `upstream ${f}`,
        ),
        'websocket: the upstream sent no websocket section and mqtt is kept: none created',
      ]);

      // Afterwards: nothing busy upstream, and no more open handles than before (small constant slack).
      const { agents } = h.proxy.app.runtime;
      await eventually(() => agents.busy() === 0, {
        timeoutMs: 3000,
        what: 'idle upstream sockets',
      });
      await sleep(300);
      const after = handles();
      for (const [type, count] of after) {
        const was = before.get(type) ?? 0;
        assert.ok(count <= was + 8, `${type}: ${was} open before, ${count} after`);
      }
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
        'no process warnings (e.g. MaxListenersExceeded)',
      );
      const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
      process.stdout.write(
        `soak: ${CHECKS} checks in ${seconds.toFixed(1)} s (${Math.round(CHECKS / seconds)}/s), heap +${heapGrowthMb.toFixed(1)} MB, handles ${JSON.stringify([...after])}\n`,
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});
