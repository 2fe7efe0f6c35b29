/**
 * The terminal's log lines (issue 12 §2, §7), made from the records the proxy really logs: a check is one
 * line saying device, version, outcome, what changed and the offer; a fallback says plainly that the
 * upstream was unreachable and the server did not answer; a refused connection has no stack trace; a bug
 * keeps its stack. The JSON records themselves are what they were (the terminal reads them back).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/runtime/logger.js';
import { startProxy } from '../../src/runtime/proxy-service.js';
import { formatRecord } from '../../src/runtime/terminal-log.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

type Record = { [key: string]: unknown; msg: string; level: number };

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const plain = { colour: false };

describe('terminal lines from the records of a proxy whose upstream refuses', () => {
  let dir: string;
  const records: Record[] = [];
  let stop: () => Promise<void>;
  let port: number;
  let upstreamPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ota-terminal-log-'));
    upstreamPort = await closedPort();
    writeFileSync(
      join(dir, 'proxy.yaml'),
      `listen: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:${upstreamPort}\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nfleet:\n  enabled: false\n`,
    );
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) records.push(JSON.parse(line) as Record);
        callback();
      },
    });
    const proxy = await startProxy({
      configPath: join(dir, 'proxy.yaml'),
      logger: createLogger({ level: 'info', pretty: false, destination }),
      probeUpstream: true,
    });
    port = Number(new URL(proxy.url).port);
    stop = () => proxy.shutdown();
  });
  after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the start line names the address, the upstreams, admin and the catalog', async () => {
    const listening = records.find((r) => r.msg === 'listening');
    assert.ok(listening);
    assert.equal(listening.address, `127.0.0.1:${port}`);
    assert.equal(listening.voiceUpstream, null);
    assert.equal(listening.adminRoutes, 'off');
    assert.equal(listening.catalog, null);
    assert.equal(
      formatRecord(listening, plain).replace(/^\S+ /, ''),
      `INFO  listening on 127.0.0.1:${port} · upstream http://127.0.0.1:${upstreamPort} · voice upstream: none · admin: off (set admin.token to turn it on) · catalog: none (firmware.dir not set) · config ${join(dir, 'proxy.yaml')}\n`,
    );
  });

  test('the start-up probe says plainly that the upstream is unreachable', async () => {
    const probe = await eventually(() => records.find((r) => r.msg.startsWith('upstream unreachable')), {
      what: 'the probe line',
    });
    assert.equal(probe.level, 40);
    assert.equal(probe.failure, 'refused');
    const line = formatRecord(probe, plain);
    assert.match(
      line,
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}upstream unreachable \(refused\): devices get the proxy's fallback reply, not the server's/,
    );
    assert.equal(line.split('\n').length, 2, 'one line');
  });

  test("a fallback's line says the upstream was unreachable, on one line without a stack", async () => {
    const reply = await rawRequest(port, deviceCheck());
    assert.equal(reply.status, 200);
    const check = await eventually(() => records.find((r) => r.msg === 'ota check'), {
      what: 'the check record',
    });
    // The JSON record is what it always was: the outcome, the failure kind, the error with its stack.
    assert.equal(check.outcome, 'fallback');
    assert.deepEqual((check.upstream as { failure: string }).failure, 'refused');
    assert.equal(typeof (check.err as { stack?: unknown }).stack, 'string');
    const line = formatRecord(check, plain);
    assert.equal(line.split('\n').length, 2, `one line: ${line}`);
    assert.match(
      line,
      new RegExp(
        `^\\S+ WARN  check aa:bb:cc:dd:ee:01 \\S+ 1\\.6\\.0 from 127\\.0\\.0\\.1 → FALLBACK 200: the upstream is unreachable \\(refused: the upstream request failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${upstreamPort}\\); the proxy answered on its own, the server was not reached`,
      ),
    );
    assert.doesNotMatch(
      line,
      /ECONNREFUSED 127\.0\.0\.1:\d+: connect ECONNREFUSED/,
      'the cause is said once',
    );
    assert.doesNotMatch(line, /\n\s+at /, 'no stack trace');
  });
});

describe('terminal lines of a proxy whose upstream answers', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness({
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nfleet:\n  enabled: false\n',
    });
  });
  after(() => harness.close());

  test('a rewritten check is one line: device, version, outcome, what changed, the upstream', async () => {
    await rawRequest(harness.port, deviceCheck());
    const check = await eventually(() => harness.exchanges().find((r) => r.msg === 'ota check'), {
      what: 'the check record',
    });
    const line = formatRecord(check, plain);
    assert.equal(line.split('\n').length, 2, `one line: ${line}`);
    const rules = (check.rules as string[]).join(', ');
    assert.ok(rules !== '', 'rules applied');
    assert.match(
      line,
      new RegExp(
        `^\\S+ INFO  check aa:bb:cc:dd:ee:01 \\S+ 1\\.6\\.0 from 127\\.0\\.0\\.1 → rewritten 200 · changed: ${rules.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( · .*)? · upstream 200 in \\d+ ms\n$`,
      ),
    );
  });
});

describe('formatRecord', () => {
  const at = '2026-12-05T12:00:00.000Z';
  test('an offer and a repair are named', () => {
    const line = formatRecord(
      {
        level: 40,
        time: at,
        msg: 'ota check',
        device: { id: '7c:df:a1:00:00:01', board: 'bread-compact-wifi', version: '1.6.0' },
        client: '192.168.1.20',
        upstream: { status: 200, ms: 12.4, failure: null },
        outcome: 'rewritten',
        status: 200,
        rules: ['websocket-url', 'firmware-offer'],
        repairs: ['firmware-legacy-added'],
        firmware: { offered: 'bread-compact-wifi 1.7.0 (xiaozhi-1.7.0.bin)', reason: null, offer: null },
      },
      plain,
    );
    assert.equal(
      line.replace(/^\S+ /, ''),
      'WARN  check 7c:df:a1:00:00:01 bread-compact-wifi 1.6.0 from 192.168.1.20 → rewritten 200 · changed: websocket-url, firmware-offer · repaired: firmware-legacy-added · offered bread-compact-wifi 1.7.0 (xiaozhi-1.7.0.bin) · upstream 200 in 12 ms\n',
    );
  });

  test('a fallback with the breaker open says the upstream was not asked', () => {
    const line = formatRecord(
      {
        level: 40,
        time: at,
        msg: 'ota check',
        device: { id: 'aa:bb:cc:dd:ee:ff', board: null, version: '1.6.0' },
        upstream: { status: null, ms: 0, failure: 'breaker-open' },
        outcome: 'fallback',
        status: 200,
        rules: ['fallback'],
      },
      plain,
    );
    assert.match(
      line,
      /→ FALLBACK 200: the upstream is unreachable \(it failed repeatedly, so it was not asked: breaker open\)/,
    );
  });

  test('an unusable reply is not called unreachable', () => {
    const line = formatRecord(
      {
        level: 40,
        time: at,
        msg: 'ota check',
        device: { id: 'aa:bb:cc:dd:ee:ff', board: null, version: '1.6.0' },
        upstream: { status: 500, ms: 3, failure: 'bad-status' },
        outcome: 'fallback',
        status: 200,
      },
      plain,
    );
    assert.match(line, /→ FALLBACK 200: the upstream's reply was unusable \(bad-status, status 500\)/);
    assert.doesNotMatch(line, /unreachable/);
  });

  test('a system error is one line; a bug keeps its stack', () => {
    const refused = formatRecord(
      {
        level: 50,
        time: at,
        msg: 'fleet store sync failed',
        err: {
          type: 'Error',
          message: 'connect ECONNREFUSED 127.0.0.1:5432',
          code: 'ECONNREFUSED',
          stack: 'Error: connect\n    at a (x.js:1:1)',
        },
      },
      plain,
    );
    assert.equal(
      refused.replace(/^\S+ /, ''),
      'ERROR fleet store sync failed err: connect ECONNREFUSED 127.0.0.1:5432\n',
    );
    const bug = formatRecord(
      {
        level: 50,
        time: at,
        msg: 'request handler failed',
        route: 'ota-check',
        err: {
          type: 'TypeError',
          message: "Cannot read properties of undefined (reading 'x')",
          stack: 'TypeError: Cannot read\n    at handle (file:///app/dist/http/app.js:10:5)',
        },
      },
      plain,
    );
    assert.equal(
      bug.replace(/^\S+ /, ''),
      "ERROR request handler failed route=ota-check err: Cannot read properties of undefined (reading 'x')\n    at handle (file:///app/dist/http/app.js:10:5)\n",
    );
  });

  test('a component and colour', () => {
    const line = formatRecord(
      { level: 40, time: at, msg: 'voice session refused', component: 'voice', reply: 502 },
      { colour: true },
    );
    assert.equal(
      line.replace(/^\S+ /, ''),
      '\u001b[33mWARN \u001b[0m [voice] voice session refused reply=502\n',
    );
  });
});
