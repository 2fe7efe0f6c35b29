/** `xiaozhi-ota-proxy doctor`: arguments, exit codes (0 ok, 1 a device would be stopped, 2 bad input), --json, colours only when asked. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDoctorCli } from '../../src/doctor/doctor-cli.js';
import { startFakeUpstream, type FakeUpstream, type Responder } from '../helpers/fake-upstream.js';

const root = new URL('../../', import.meta.url).pathname;

async function cli(
  args: string[],
  { tty = false, env = {} }: { tty?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDoctorCli(args, {
    env,
    stdout: { write: (s: string) => (stdout += s), isTTY: tty },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('doctor command line', () => {
  let dir: string;
  let upstream: FakeUpstream;
  let voice: net.Server;
  let good: string;
  let bad: string;
  let healthy: Responder;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ota-doctor-cli-'));
    voice = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => voice.listen(0, '127.0.0.1', resolve));
    const voicePort = (voice.address() as net.AddressInfo).port;
    healthy = () => ({
      kind: 'json',
      body: {
        server_time: { timestamp: Date.now(), timezone_offset: 0 },
        firmware: { version: '1.6.0', url: '' },
        websocket: { url: `ws://127.0.0.1:${voicePort}/xiaozhi/v1/`, token: '' },
      },
    });
    upstream = await startFakeUpstream(healthy);
    good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      `listen: 0.0.0.0:8003\nupstream:\n  url: ${upstream.url}\n  timeout_ms: 2000\nserver_time:\n  timezone: UTC\n`,
    );
    bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'listen: 0.0.0.0:8003\nupstream:\n  url: localhost:8002\n');
  });
  after(async () => {
    await upstream.close();
    await new Promise<void>((resolve) => voice.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--device-host/);
    assert.match(stdout, /--json/);
  });

  test('bad arguments exit 2 without running anything', async () => {
    const before = upstream.received.length;
    // Each refused for its own reason (the first line of stderr; an unknown option is followed by the usage).
    for (const [args, reason] of [
      [['--nope'], "doctor: Unknown option '--nope'"],
      [
        ['--device-id', 'not-a-mac'],
        'doctor: --device-id "not-a-mac" is not a MAC address (aa:bb:cc:dd:ee:ff)',
      ],
      [['--version', 'v2.0'], 'doctor: --version "v2.0" is not a dotted version such as 1.6.0'],
      [
        ['--chip', 'esp8266'],
        'doctor: --chip "esp8266" is not an ESP-IDF target (esp32, esp32s3, esp32c3 …)',
      ],
      [['--proxy', 'ftp://x'], 'doctor: --proxy "ftp://x" must be http(s)://host:port'],
      [['--device-ip', 'nope'], 'doctor: --device-ip "nope" is not an IP address'],
      [['--timeout-ms', 'soon'], 'doctor: --timeout-ms must be a whole number of milliseconds (100–120000)'],
      [['--device-host', 'a b'], 'doctor: --device-host "a b" is not host or host:port'],
    ] as const) {
      const { code, stderr } = await cli(['--config', good, ...args]);
      assert.equal(code, 2, args.join(' '));
      assert.equal(stderr.split('\n')[0], reason);
    }
    assert.equal(upstream.received.length, before);
  });

  test('an unusable config exits 2 naming the key and position; --json gives the code and issues', async () => {
    const text = await cli(['--config', bad]);
    assert.equal(text.code, 2);
    assert.equal(
      text.stderr,
      'doctor: the configuration cannot be used (CONFIG_INVALID):\n' +
        `  - \`upstream.url\` must be an http(s) URL such as http://127.0.0.1:8002 (got "localhost:8002") at ${bad}:3:8\n`,
    );
    const json = await cli(['--config', bad, '--json']);
    assert.equal(json.code, 2);
    const parsed = JSON.parse(json.stdout) as {
      ok: boolean;
      error: { code: string; issues: { path: string }[] };
    };
    assert.equal(parsed.ok, false);
    assert.equal(parsed.error.code, 'CONFIG_INVALID');
    assert.equal(parsed.error.issues[0]?.path, 'upstream.url');
  });

  test('a healthy deployment exits 0; --json is the whole report', async () => {
    const { code, stdout } = await cli(['--config', good, '--device-host', '127.0.0.1', '--json']);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      findings: { id: string; status: string }[];
      device: { deviceId: string };
      proxy: { mode: string };
    };
    assert.equal(code, 0, JSON.stringify(report.findings.filter((f) => f.status === 'fail')));
    assert.equal(report.ok, true);
    assert.equal(report.proxy.mode, 'in-process');
    assert.equal(report.findings.find((f) => f.id === 'websocket.reachable')?.status, 'pass');
    assert.equal(
      report.findings.find((f) => f.id === 'config.device-host')?.status,
      'warn',
      'loopback is named as a poor device host',
    );
  });

  test('a finding that stops devices exits 1; text without colours unless asked', async () => {
    const args = ['--config', good, '--device-host', '127.0.0.1', '--device-id', 'aa:bb:cc:dd:ee:02'];
    upstream.respond(() => ({ kind: 'json', body: { error: 'Invalid device ID' } }));
    try {
      const plain = await cli(args);
      assert.equal(plain.code, 1);
      assert.match(plain.stdout, /^ {2}FAIL {2}/m);
      assert.equal(
        plain.stdout.split('\n').at(-2),
        'NOT OK: 7 passed, 1 warning, 2 failed. Devices would be stopped by the failures above.',
      );
      assert.equal(plain.stdout.includes('\u001b['), false, 'no colour when stdout is not a terminal');
      const tty = await cli(args, { tty: true });
      assert.equal(tty.stdout.includes('\u001b[31m'), true, 'colour on a terminal');
      const noColor = await cli(args, { tty: true, env: { NO_COLOR: '1' } });
      assert.equal(noColor.stdout.includes('\u001b['), false, 'NO_COLOR is honoured');
      const forced = await cli([...args, '--color']);
      assert.equal(forced.stdout.includes('\u001b['), true, '--color forces colour');
      const off = await cli([...args, '--no-color'], { tty: true });
      assert.equal(off.stdout.includes('\u001b['), false, '--no-color wins over a terminal');
    } finally {
      upstream.respond(healthy);
    }
  });

  test('`xiaozhi-ota-proxy doctor` is dispatched by the main command line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'doctor', '--help'], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(out, /xiaozhi-ota-proxy doctor/);
  });
});
