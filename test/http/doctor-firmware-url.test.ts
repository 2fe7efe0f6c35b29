/** doctor on firmware download URLs: a closed port is a FAIL; a listening host is dialled exactly once with a bare TCP connect, never a GET. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { buildAppImage } from '../helpers/app-image.js';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const offer = (url: string) => () => ({
  kind: 'json' as const,
  body: {
    server_time: { timestamp: Date.now(), timezone_offset: 0 },
    firmware: { version: '9.9.9', url },
    websocket: { url: 'ws://192.168.1.10:8000/xiaozhi/v1/', token: '' },
  },
});

describe('doctor: firmware URLs', () => {
  let counting: net.Server;
  let port: number;
  let connections = 0;
  let bytesReceived = 0;
  before(async () => {
    counting = net.createServer((socket) => {
      connections += 1;
      socket.on('data', (chunk: Buffer) => (bytesReceived += chunk.length));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
    port = (counting.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => counting.close(() => resolve())));

  test('a firmware URL to a closed port: FAIL, nothing listens', async () => {
    const dead = await closedPort();
    const run = await runDoctorAgainst({
      responder: offer(`http://127.0.0.1:${dead}/xiaozhi/ota/download/fw_9.9.9.bin`),
      deviceHost: '127.0.0.1',
    });
    const offered = run.find('firmware.offer');
    assert.equal(offered.status, 'info');
    assert.equal(
      offered.title,
      `devices running 1.6.0 will download 9.9.9 from http://127.0.0.1:${dead}/xiaozhi/ota/download/fw_9.9.9.bin`,
    );
    const url = run.find('firmware.url');
    assert.equal(url.status, 'fail');
    assert.equal(
      url.title,
      `nothing listens at 127.0.0.1:${dead}: devices would fail the download of http://127.0.0.1:${dead}/xiaozhi/ota/download/fw_9.9.9.bin`,
    );
    assert.equal(run.report.ok, false);
  });

  test('a listening firmware host gets one TCP connection and not a single byte (no GET), even when named twice', async () => {
    connections = 0;
    bytesReceived = 0;
    const url = `http://127.0.0.1:${port}/xiaozhi/otaMag/download/0b8e5c8e-4a47-4c7d-9d8f-5a7c1d2e3f40`;
    const run = await runDoctorAgainst({
      responder: offer(url),
      deviceHost: '127.0.0.1',
      // A catalog entry's external url names the same host too: still one connection.
      yaml: `firmware:\n  dir: fw\n`,
      files: {
        'fw/catalog.yaml': `- board: other-board\n  version: 2.0.0\n  file: other.bin\n  url: http://127.0.0.1:${port}/other.bin\n`,
        'fw/other.bin': buildAppImage({ version: '2.0.0' }),
      },
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connections, 1, 'exactly one connection to the firmware host');
    assert.equal(bytesReceived, 0, 'no request sent, only a connect');
    const found = run.find('firmware.url');
    assert.equal(found.status, 'pass');
    assert.equal(found.title, `the download host 127.0.0.1:${port} accepts connections`);
    assert.match(found.detail?.[0] ?? '', /^something listens \(connected in \d+ ms\)$/);
    assert.deepEqual(found.detail?.slice(1), [
      'the host devices use to reach the proxy',
      "Doctor only opens a TCP connection to it: the Java upstream's download links allow three downloads.",
    ]);
    assert.equal(run.report.probes.filter((p) => p.port === port).length, 1);
    assert.equal(run.find('catalog.entry[0]').status, 'pass');
  });

  test('a firmware URL on a Docker-internal address: FAIL even though this machine is not asked to reach it', async () => {
    const run = await runDoctorAgainst({
      responder: offer('http://172.21.0.5:8003/xiaozhi/ota/download/bread-compact-wifi_1.7.0.bin'),
    });
    const url = run.find('firmware.url');
    assert.equal(url.status, 'fail');
    assert.deepEqual(url.detail, [
      'unreachable from here (NOT-DIALLED-IN-TESTS)',
      '172.21.0.5 is in 172.16.0.0/12, where Docker puts container networks: devices outside the container cannot reach it',
      "Doctor only opens a TCP connection to it: the Java upstream's download links allow three downloads.",
    ]);
  });

  test('a rewrite rule fixes the real python-firmware-available URL for the host devices use', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-firmware-available' }),
      yaml: 'rewrite:\n  - from: http://172.21.0.5:8003/\n    to: http://{host}:8003/\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
    const offered = run.find('firmware.offer');
    assert.equal(
      offered.title,
      'devices running 1.6.0 will download 1.7.0 from http://192.168.1.10:8003/xiaozhi/ota/download/bread-compact-wifi_1.7.0.bin',
    );
    assert.equal(run.find('config.rewrite[0].to').status, 'pass');
  });
});
