/**
 * The real command line and its signals (docs/configuration.md "Reload scope", `shutdown_grace_ms`): SIGHUP reloads the
 * config — a broken file keeps the running one — and SIGTERM stops accepting, lets an OTA check in flight
 * finish, and exits 0; SIGINT likewise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCli } from '../helpers/cli-process.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { rawRequest } from '../helpers/raw-client.js';

const config = (upstream: string, wsUrl: string): string =>
  `listen: 127.0.0.1:0\nupstream:\n  url: ${upstream}\n  timeout_ms: 5000\nwebsocket:\n  url: ${wsUrl}\nshutdown_grace_ms: 5000\nlog:\n  level: info\n  pretty: false\n`;

describe('the CLI and its signals', () => {
  let dir: string;
  let upstream: FakeUpstream;
  let slowMs = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ota-cli-signals-'));
    upstream = await startFakeUpstream(async () => {
      await sleep(slowMs);
      return { kind: 'capture', name: 'python-default-post' };
    });
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const wsUrlOf = async (port: number): Promise<string> => {
    const res = await rawRequest(port, deviceCheck());
    return (JSON.parse(res.body.toString('utf8')) as { websocket: { url: string } }).websocket.url;
  };

  test(
    'SIGHUP reloads; a broken file keeps the running config; SIGTERM lets a check in flight finish and exits 0',
    { timeout: 60_000 },
    async () => {
      const file = join(dir, 'proxy.yaml');
      writeFileSync(file, config(upstream.url, 'ws://first.example:8000/xiaozhi/v1/'));
      const cli = await startCli(file);
      try {
        assert.equal(await wsUrlOf(cli.port), 'ws://first.example:8000/xiaozhi/v1/');

        writeFileSync(file, config(upstream.url, 'ws://second.example:8000/xiaozhi/v1/'));
        cli.child.kill('SIGHUP');
        await eventually(() => cli.lines.find((l) => l.msg === 'config reloaded'), {
          what: 'config reloaded',
        });
        assert.equal(await wsUrlOf(cli.port), 'ws://second.example:8000/xiaozhi/v1/');

        writeFileSync(file, 'listen: [this is: not valid\n');
        cli.child.kill('SIGHUP');
        await eventually(
          () => cli.lines.find((l) => l.msg === 'config reload failed: keeping the running configuration'),
          { what: 'reload failed' },
        );
        assert.equal(await wsUrlOf(cli.port), 'ws://second.example:8000/xiaozhi/v1/');
        assert.equal(cli.child.exitCode, null, 'still running');

        slowMs = 800;
        const inFlight = rawRequest(cli.port, deviceCheck());
        await sleep(200);
        cli.child.kill('SIGTERM');
        const reply = await inFlight;
        assert.equal(reply.status, 200);
        assert.equal(await cli.exited, 0);
        assert.ok(cli.lines.some((l) => l.msg === 'shutting down'));
        assert.ok(cli.lines.some((l) => l.msg === 'stopped'));
      } finally {
        slowMs = 0;
        cli.stop();
      }
    },
  );

  test('SIGINT stops it too, with exit code 0', { timeout: 60_000 }, async () => {
    const file = join(dir, 'sigint.yaml');
    writeFileSync(file, config(upstream.url, 'ws://x.example:8000/xiaozhi/v1/'));
    const cli = await startCli(file);
    try {
      cli.child.kill('SIGINT');
      assert.equal(await cli.exited, 0);
    } finally {
      cli.stop();
    }
  });
});
