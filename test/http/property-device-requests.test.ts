/**
 * Over real sockets, for arbitrary device requests (headers present, missing or garbage; bodies valid, as
 * broken as the firmware makes them, or random bytes) against arbitrary upstream replies and failures:
 * the reply written is either a 200 with one JSON object under 4 KiB, exact Content-Length and every
 * device-contract rule met (the independent oracle), or a clean framed 4xx/5xx — and the proxy survives.
 * A few hundred cases here; test/unit/property-upstream-json.test.ts runs thousands without sockets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAppImage } from '../helpers/app-image.js';
import { contractViolations, errorFramingViolations } from '../helpers/device-contract.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { runningVersion, upstreamBodyText } from '../helpers/hostile-json.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

interface DeviceCase {
  readonly bytes: Buffer;
  /** What the device really runs, for the oracle. */
  readonly version: string | null;
  readonly legacy: boolean;
}

const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,19}$/);
const mac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));
const board = fc.constantFrom('bread-compact-wifi', 'm5stack-stack-chan', 'esp-box-3', 'x');

/** A device request as exact bytes, with the truth about the device it pretends to be. */
const deviceCase: fc.Arbitrary<DeviceCase> = fc
  .record({
    path: fc.constantFrom('/xiaozhi/ota/', '/xiaozhi/ota'),
    id: fc.option(
      fc.oneof(
        mac,
        mac.map((m) => m.toUpperCase()),
        headerText,
        // The device the first websocket item names: a random MAC would never be it.
        fc.constantFrom('aa:bb:cc:dd:ee:01', 'AA:BB:CC:DD:EE:01'),
      ),
      { nil: undefined },
    ),
    clientId: fc.option(fc.oneof(fc.uuid(), headerText), { nil: undefined }),
    activation: fc.option(fc.constantFrom('1', '2', 'x'), { nil: undefined }),
    board,
    version: runningVersion,
    userAgent: fc.constantFrom('consistent', 'none', 'library-default'),
    host: fc.constantFrom(
      '127.0.0.1:8003',
      '192.168.1.10',
      'ota.example.com:443',
      '[::1]:8003',
      'bad host!',
      'a:b:c',
      '',
    ),
    extra: fc.array(fc.tuple(headerName, headerText), { maxLength: 4 }),
    body: fc.constantFrom('json', 'broken', 'garbage', 'empty'),
    garbage: fc.uint8Array({ maxLength: 300 }),
    chip: fc.constantFrom('esp32s3', 'esp32c3', 'esp32'),
  })
  .map((c): DeviceCase => {
    const application = c.version === null ? {} : { application: { name: 'xiaozhi', version: c.version } };
    const json = JSON.stringify({
      version: 2,
      chip_model_name: c.chip,
      ...application,
      ota: { label: 'ota_0' },
      partition_table: [
        { label: 'ota_0', size: 4128768 },
        { label: 'ota_1', size: 4128768 },
      ],
      board: { type: c.board, name: c.board, ssid: 'HomeWiFi' },
    });
    const body =
      c.body === 'json'
        ? Buffer.from(json)
        : c.body === 'broken'
          ? Buffer.from(json.replace('"HomeWiFi"', '"Bob\'s "Home" \\ net"'))
          : c.body === 'garbage'
            ? Buffer.from(c.garbage)
            : Buffer.alloc(0);
    const headers: [string, string][] = [];
    if (c.host !== '') headers.push(['Host', c.host]);
    if (c.activation !== undefined) headers.push(['Activation-Version', c.activation]);
    if (c.clientId !== undefined) headers.push(['Client-Id', c.clientId]);
    headers.push(['Content-Type', 'application/json']);
    if (c.id !== undefined) headers.push(['Device-Id', c.id]);
    if (c.userAgent === 'consistent')
      headers.push(['User-Agent', c.version === null ? c.board : `${c.board}/${c.version}`]);
    if (c.userAgent === 'library-default') headers.push(['User-Agent', 'ESP32 HTTP Client/1.0']);
    for (const [k, v] of c.extra)
      if (!/^(content-length|transfer-encoding|host|connection|expect|upgrade)$/i.test(k))
        headers.push([k, v]);
    headers.push(['Content-Length', String(body.length)], ['Connection', 'close']);
    const head = `POST ${c.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
    // The body is the device's inventory: what it really runs is its application.version (when it sent
    // one that it could have sent), else what its User-Agent says; random bytes say nothing.
    const told = c.body === 'json' || c.body === 'broken' ? c.version : null;
    const version = told ?? (c.userAgent === 'consistent' ? c.version : null);
    return {
      bytes: Buffer.concat([Buffer.from(head, 'latin1'), body]),
      version,
      legacy: c.activation === undefined,
    };
  });

/** What the upstream does with this check: a 2xx body of arbitrary JSON (mostly), a status, or a failure. */
const upstreamReply: fc.Arbitrary<Reply> = fc.oneof(
  {
    weight: 8,
    arbitrary: upstreamBodyText.map((body): Reply => ({
      kind: 'text',
      body,
      headers: { 'Content-Type': 'application/json' },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Reply>(
      { kind: 'capture', name: 'java-unbound-device' },
      { kind: 'capture', name: 'python-mqtt-gateway' },
      { kind: 'capture', name: 'python-no-trailing-slash' },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Reply>(
      { kind: 'reset' },
      { kind: 'hang' },
      { kind: 'text', status: 500, body: 'x' },
      { kind: 'text', status: 403, body: 'forbidden' },
    ),
  },
);

describe('arbitrary device requests over real sockets', () => {
  let h: Harness;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        '  url: {{upstream}}',
        '  timeout_ms: 100',
        'rewrite:',
        '  - from: ws://172.21.0.5:8000/',
        '    to: "{scheme}://{host}:8000/"',
        'websocket:',
        '  - when: {devices: ["aa:bb:cc:dd:ee:01"]}',
        '    url: ws://{host}:8000/x:y/',
        '  - when: {board: "x"}',
        '    url: wss://voice.example.com/xiaozhi/v1/',
        'mqtt:',
        '  - when: {board: "esp-*"}',
        '    mode: strip',
        '  - mode: keep',
        'server_time:',
        '  - when: {board: m5stack-stack-chan}',
        '    offset_minutes: 0',
        '  - timezone: upstream',
        'firmware:',
        '  dir: firmware',
        'breaker:',
        '  failures: 1000000',
        '',
      ].join('\n'),
      files: {
        'firmware/catalog.yaml':
          '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread.bin\n- board: "m5stack-*"\n  version: "1.2.4"\n  file: chan.bin\n  force: true\n',
        'firmware/bread.bin': buildAppImage({ version: '1.7.2', chipId: 9, size: 2048 }),
        'firmware/chan.bin': buildAppImage({ version: '1.2.4', chipId: 9, size: 2048, seed: 1 }),
      },
    });
  });
  after(() => h.close());

  test(
    'every reply is a contract-meeting 200 or a clean error; the proxy survives',
    { timeout: 120_000 },
    async () => {
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(deviceCase, upstreamReply, async (device, upstream) => {
          reply = upstream;
          const logged = h.exchanges().length;
          const res = await rawRequest(h.port, device.bytes, { timeoutMs: 5000 });
          // One log line per check, written before the reply left: it says whether the upstream timed out
          // (it may, for any reply, on a loaded machine: timeout_ms is 100).
          const lines = h.exchanges().slice(logged);
          assert.equal(lines.length, 1, res.statusLine);
          const timedOut = (lines[0]?.upstream as { failure: string | null } | null)?.failure === 'timeout';
          // A 4xx passes through as the upstream sent it; a failure is answered from the fallback, else with
          // 502 (504 for a timeout).
          const expected = timedOut
            ? [200, 504]
            : upstream.kind === 'text' && upstream.status === 403
              ? [403]
              : upstream.kind === 'capture' && upstream.name === 'python-no-trailing-slash'
                ? [404]
                : [200, 502];
          assert.ok(expected.includes(res.status), `${res.statusLine} for ${JSON.stringify(upstream)}`);
          if (res.status === 200) {
            checked += 1;
            const violations = contractViolations(res, device);
            assert.deepEqual(violations, [], `${violations.join('; ')} in ${res.body.toString('utf8')}`);
          } else {
            assert.deepEqual(errorFramingViolations(res), [], res.statusLine);
          }
        }),
        { numRuns: 300, includeErrorInReport: true },
      );
      // Most cases are 200s the oracle read (about two thirds): the property is not carried by the errors.
      assert.ok(checked >= 100, `only ${checked} of 300 replies were 200s`);
      assert.equal(
        (await rawRequest(h.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status,
        200,
      );
    },
  );
});
