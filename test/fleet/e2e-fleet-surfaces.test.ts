/**
 * The fleet's edges in the running proxy (docs/fleet.md): download tokens and `require_token`, fleet off
 * changing nothing, doctor's and /admin/explain's checks decided the same and never recorded, voice
 * sessions by `Device-Id`, `/readyz` `checks.store`, and the fleet's metrics — over real sockets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { probeRequestBytes } from '../../src/doctor/probe-request.js';
import { buildAppImage } from '../helpers/app-image.js';
import { startFleetProxy, fileOf, type FleetProxy } from '../helpers/fleet-proxy.js';
import { waitFor } from '../helpers/fleet-service.js';
import { startHarness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, headerOf, rawRequest } from '../helpers/raw-client.js';
import { downloadImage, FakeXiaozhi, V2Device } from '../helpers/v2-device.js';
import { startWsUpstream, type WsUpstream } from '../helpers/voice-harness.js';

const MAIN = { board: 'bread-compact-wifi', version: '1.7.0' };
const FILE = fileOf(MAIN);
const TOKENED = /\/firmware\/([0-9a-f]{12}\.[A-Za-z0-9_-]{16})\//;

function get(port: number, path: string): Promise<Awaited<ReturnType<typeof rawRequest>>> {
  return rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
}

function anonymousCheck(port: number): Promise<Awaited<ReturnType<typeof rawRequest>>> {
  const bytes = probeRequestBytes({
    device: { deviceId: 'not-a-mac', board: MAIN.board, version: '1.6.0', chip: 'esp32s3', ip: '10.0.0.9' },
    host: `127.0.0.1:${port}`,
    path: '/xiaozhi/ota/',
  });
  return rawRequest(port, bytes);
}

describe('download tokens', () => {
  let strict: FleetProxy;
  let lenient: FleetProxy;
  before(async () => {
    strict = await startFleetProxy({ images: [MAIN], firmwareYaml: '  require_token: true\n' });
    lenient = await startFleetProxy({ images: [MAIN] });
  });
  after(async () => {
    await strict.close();
    await lenient.close();
  });

  test('require_token: only a valid token gets the image; a device without a valid Device-Id gets no offer', async () => {
    const d = new V2Device({ mac: '02:00:00:00:30:01', version: '1.6.0', port: strict.port });
    const url = (await d.check()).reply?.firmware?.url ?? '';
    const token = TOKENED.exec(url)?.[1] ?? '';
    assert.equal(token.length, 29);
    const ok = await get(strict.port, `/firmware/${token}/${FILE}`);
    assert.equal(ok.status, 200);
    assertDeviceFraming(ok, { extraHeaders: ['ETag', 'Last-Modified', 'Accept-Ranges'] });
    assert.equal(headerOf(ok, 'Keep-Alive'), undefined);
    for (const path of [
      `/firmware/${FILE}`,
      `/firmware/${token.slice(0, 28)}A/${FILE}`,
      `/firmware/020000003002.${token.slice(13)}/${FILE}`,
      `/firmware/${token}/other.bin`,
      `/firmware/${token}/../${FILE}`,
    ]) {
      const refused = await get(strict.port, path);
      assert.equal(refused.status, 404, path);
      assertDeviceFraming(refused);
    }
    const anonymous = await anonymousCheck(strict.port);
    assert.equal(anonymous.status, 200);
    assert.match(
      (await get(strict.port, '/metrics')).body.toString(),
      /xiaozhi_ota_proxy_fleet_anonymous_checks_total 1\n/,
    );
    const reply = JSON.parse(anonymous.body.toString()) as { firmware?: { url: string } };
    assert.equal(reply.firmware?.url ?? '', '', 'no offer without a valid Device-Id');
    const reason = (strict.h.exchanges().at(-1)?.firmware as { reason: string }).reason;
    assert.match(reason, /^anonymous: /);
  });

  test('require_token: false — the plain URL and an unverifiable token are served, untracked; an anonymous check is offered the plain URL', async () => {
    const plain = await get(lenient.port, `/firmware/${FILE}`);
    assert.equal(plain.status, 200);
    const forged = await get(lenient.port, `/firmware/020000003003.AAAAAAAAAAAAAAAA/${FILE}`);
    assert.equal(forged.status, 200);
    assert.deepEqual(forged.body, plain.body);
    await lenient.fleet.flush();
    assert.equal(await lenient.show('02:00:00:00:30:03'), null, 'untracked');
    const anonymous = JSON.parse((await anonymousCheck(lenient.port)).body.toString()) as {
      firmware?: { url: string };
    };
    assert.equal(anonymous.firmware?.url, `http://127.0.0.1:${lenient.port}/firmware/${FILE}`);
  });

  test('a Range request for the image’s tail is tracked as the download; a head-only range is not', async () => {
    const d = new V2Device({ mac: '02:00:00:00:30:04', version: '1.6.0', port: lenient.port });
    const url = new URL((await d.check()).reply?.firmware?.url ?? '');
    await lenient.attemptIn(d.mac, 'offered');
    assert.equal(
      await downloadImage({ port: lenient.port, path: url.pathname, host: url.host, range: 'bytes=0-99' }),
      'complete',
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(
      (await lenient.show(d.mac))?.attempts[0]?.state,
      'offered',
      'a head-only range is not the download',
    );
    assert.equal(
      await downloadImage({ port: lenient.port, path: url.pathname, host: url.host, range: 'bytes=100-' }),
      'complete',
    );
    const done = await lenient.attemptIn(d.mac, 'downloaded');
    assert.equal(done.download_bytes, 64 * 1024 - 100);
  });
});

describe('checks that are never recorded', () => {
  let p: FleetProxy;
  before(async () => {
    p = await startFleetProxy({ images: [MAIN], yaml: 'admin:\n  token: admintoken\n' });
  });
  after(() => p.close());

  test("doctor's marked check is decided like a device's (tokened offer) and not recorded", async () => {
    const bytes = probeRequestBytes({
      device: {
        deviceId: '02:00:00:00:40:01',
        board: MAIN.board,
        version: '1.6.0',
        chip: 'esp32s3',
        ip: '10.0.0.9',
      },
      host: `127.0.0.1:${p.port}`,
      path: '/xiaozhi/ota/',
      extraHeaders: [['X-Ota-Proxy-Doctor', '1']],
    });
    const res = await rawRequest(p.port, bytes);
    const url = (JSON.parse(res.body.toString()) as { firmware?: { url: string } }).firmware?.url ?? '';
    assert.match(url, TOKENED);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await p.fleet.flush();
    assert.equal(await p.show('02:00:00:00:40:01'), null);
  });

  test('/admin/explain decides with the fleet (a blocked device gets no offer there either) and records nothing', async () => {
    const d = new V2Device({ mac: '02:00:00:00:40:02', version: '1.6.0', port: p.port });
    for (let i = 0; i < 3; i++) await d.boot({ after: 'reject' });
    await d.check();
    await p.attemptIn(d.mac, 'failed', { number: 3 });
    const before = (await p.show(d.mac))?.device.checks;
    const explain = async (mac: string) => {
      const body = JSON.stringify({
        request: {
          headers: [
            ['Host', `127.0.0.1:${p.port}`],
            ['Device-Id', mac],
            ['User-Agent', `${MAIN.board}/1.6.0`],
            ['Content-Type', 'application/json'],
          ],
          body: {
            application: { version: '1.6.0' },
            board: { name: MAIN.board },
            chip_model_name: 'esp32s3',
          },
        },
        upstream: { body: { websocket: { url: 'ws://10.0.0.5:8000/xiaozhi/v1/' } } },
      });
      const res = await rawRequest(
        p.port,
        `POST /admin/explain HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer admintoken\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      assert.equal(res.status, 200, res.body.toString());
      return JSON.parse(res.body.toString()) as {
        firmware: { offered: { url: string } | null; reason: string | null; detail: string | null };
      };
    };
    const blocked = await explain(d.mac);
    assert.equal(blocked.firmware.offered, null);
    assert.equal(blocked.firmware.reason, 'blocked');
    assert.match(String(blocked.firmware.detail), /blocked: failed 3 times \(rejected-or-rolled-back\)/);
    const other = await explain('02:00:00:00:40:03');
    // The token is shown shortened.
    assert.match(String(other.firmware.offered?.url), /\/firmware\/020000004003\.[A-Za-z0-9_-]{4}…\//);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await p.fleet.flush();
    assert.equal(await p.show('02:00:00:00:40:03'), null);
    assert.equal((await p.show(d.mac))?.device.checks, before);
  });
});

describe('voice sessions, /readyz and /metrics', () => {
  let voice: WsUpstream;
  let p: FleetProxy;
  before(async () => {
    voice = await startWsUpstream();
    p = await startFleetProxy({ images: [MAIN], yaml: `voice_proxy:\n  upstream: ${voice.url}\n` });
  });
  after(async () => {
    await p.close();
    await voice.close();
  });

  test('a voice session is online while open and its close is the last voice session', async () => {
    const d = new V2Device({ mac: '02:00:00:00:50:01', version: '1.7.0', port: p.port });
    await d.check();
    const ws = new WebSocket(`ws://127.0.0.1:${p.port}/xiaozhi/v1/`, {
      headers: { 'Device-Id': '02-00-00-00-50-01', 'Client-Id': 'c1', 'Protocol-Version': '3' },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await waitFor('online', async () => (await p.show(d.mac))?.device.voice_online === true);
    ws.close();
    await waitFor('offline', async () => (await p.show(d.mac))?.device.voice_online === false);
    assert.ok(((await p.show(d.mac))?.device.voice_last_seen ?? 0) > 0);
  });

  test('/readyz says checks.store ok; /metrics has the fleet gauges and counters', async () => {
    const ready = await get(p.port, '/readyz');
    assert.equal(ready.status, 200);
    assert.equal((JSON.parse(ready.body.toString()) as { checks: { store: string } }).checks.store, 'ok');
    const metrics = (await get(p.port, '/metrics')).body.toString();
    assert.match(
      metrics,
      /xiaozhi_ota_proxy_fleet_devices\{board="bread-compact-wifi",version="1\.7\.0"\} 1/,
    );
    assert.match(metrics, /xiaozhi_ota_proxy_fleet_pending_observations \d+/);
    assert.match(metrics, /xiaozhi_ota_proxy_fleet_store_flush_duration_seconds_count [1-9]/);
    assert.match(metrics, /xiaozhi_ota_proxy_fleet_store_flush_failures_total 0/);
    assert.match(metrics, /xiaozhi_ota_proxy_fleet_dropped_observations_total\{kind="event"\} 0/);
    assert.match(
      metrics,
      /xiaozhi_ota_proxy_rollout_halted\{board="bread-compact-wifi",version="1\.7\.0"\} 0/,
    );
  });
});

describe('fleet off', () => {
  test('the plain URL, no tokened path, checks.store off, no fleet metrics figures', async () => {
    const xiaozhi = new FakeXiaozhi();
    const h = await startHarness({
      responder: xiaozhi.responder,
      files: {
        'firmware/catalog.yaml': `- board: ${MAIN.board}\n  version: "${MAIN.version}"\n  file: ${FILE}\n`,
        [`firmware/${FILE}`]: buildAppImage({ version: MAIN.version, size: 4096 }),
      },
      yaml: 'firmware:\n  dir: firmware\n',
    });
    try {
      const d = new V2Device({ mac: '02:00:00:00:60:01', version: '1.6.0', port: h.port });
      const reply = (await d.check()).reply;
      assert.equal(reply?.firmware?.url, `http://127.0.0.1:${h.port}/firmware/${FILE}`);
      assert.equal((await get(h.port, `/firmware/020000006001.AAAAAAAAAAAAAAAA/${FILE}`)).status, 404);
      const ready = JSON.parse((await get(h.port, '/readyz')).body.toString()) as {
        checks: { store: string };
      };
      assert.equal(ready.checks.store, 'off');
      assert.doesNotMatch((await get(h.port, '/metrics')).body.toString(), /fleet_devices\{/);
    } finally {
      await h.close();
    }
  });
});
