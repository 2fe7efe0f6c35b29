/**
 * A fresh `npm start` with the shipped config answers devices usefully with no upstream running (docs/configuration.md
 * "The file"): the real CLI on config/proxy.yaml (only `listen` moved to a free port) and the shipped
 * firmware folder, the upstream refusing connections — a device check gets a 200 fallback reply with a
 * websocket URL and the clock, meeting the device contract.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contractViolations } from '../helpers/device-contract.js';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { CAPTURED_DEVICE, deviceCheck, LEGACY_DEVICE } from '../helpers/device-requests.js';
import { rawRequest } from '../helpers/raw-client.js';

const root = new URL('../../', import.meta.url).pathname;

/** A loopback port nobody listens on: bound, then released. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the shipped config with no upstream', () => {
  let dir: string;
  let cli: CliProcess | undefined;
  let port = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ota-shipped-'));
    mkdirSync(join(dir, 'config'));
    const shipped = readFileSync(join(root, 'config/proxy.yaml'), 'utf8');
    assert.match(shipped, /^listen: .*$/m);
    writeFileSync(join(dir, 'config/proxy.yaml'), shipped.replace(/^listen: .*$/m, 'listen: 127.0.0.1:0'));
    cpSync(join(root, 'firmware'), join(dir, 'firmware'), { recursive: true });

    // The shipped defaults, whatever this machine's environment says.
    const env = {
      UPSTREAM_URL: `http://127.0.0.1:${await refusedPort()}`,
      ADMIN_TOKEN: undefined,
      VOICE_UPSTREAM: undefined,
    };
    cli = await startCli(join(dir, 'config/proxy.yaml'), { env });
    port = cli.port;
  });
  after(() => {
    cli?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, request, device] of [
    ['a current device', deviceCheck({ set: [['Host', '192.168.1.10:8003']] }), CAPTURED_DEVICE],
    [
      'a device ≤ 1.5.9',
      deviceCheck({ set: [['Host', '192.168.1.10:8003']], drop: ['Activation-Version'] }),
      LEGACY_DEVICE,
    ],
  ] as const) {
    test(`${name} gets a 200 fallback with a websocket URL and the clock`, async () => {
      const sent = Date.now();
      const res = await rawRequest(port, request);
      const answered = Date.now();
      assert.deepEqual(contractViolations(res, device, { fallback: true }), [], res.body.toString('utf8'));
      const body = JSON.parse(res.body.toString('utf8')) as {
        websocket?: { url: string };
        server_time?: { timestamp: number };
      };
      assert.equal(body.websocket?.url, 'ws://192.168.1.10:8000/xiaozhi/v1/');
      // The proxy's clock (the same machine's) while it answered.
      const timestamp = body.server_time?.timestamp ?? 0;
      assert.ok(timestamp >= sent && timestamp <= answered, `${timestamp} not in [${sent}, ${answered}]`);
    });
  }

  test('GET on the OTA path says the upstream is not answering, with "OTA" in it', async () => {
    const res = await rawRequest(
      port,
      'GET /xiaozhi/ota/ HTTP/1.1\r\nHost: 192.168.1.10:8003\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 200);
    assert.equal(
      res.body.toString('utf8'),
      'OTA proxy is running; the upstream OTA server is not answering (upstream refused).',
    );
  });
});
