/** doctor --proxy: asks a running proxy over its socket (with the Host devices use) instead of an in-process one. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDeviceHost } from '../../src/doctor/device-host.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { loopbackProber } from '../helpers/doctor-harness.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

describe('doctor against a running proxy', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
  });
  after(() => h.close());

  test('the running proxy answers, framed for devices, with URLs for the device host', async () => {
    const config = h.proxy.config();
    const choice = chooseDeviceHost({ option: '192.168.1.10:8003', config, interfaces: [] });
    assert.equal(typeof choice, 'object');
    if (typeof choice === 'string') return;
    const before = h.exchanges().length;
    const report = await runDoctor({
      config,
      env: {},
      deviceHost: choice,
      proxyUrl: h.proxy.url,
      prober: loopbackProber(),
      localZone: { name: 'UTC', offsetMinutes: () => 0 },
    });
    assert.equal(report.proxy.mode, 'running');
    const find = (id: string) => report.findings.find((f) => f.id === id);
    assert.equal(find('proxy.reachable')?.status, 'pass');
    assert.equal(find('proxy.framing')?.status, 'pass');
    assert.equal(find('websocket.url')?.status, 'pass');
    assert.equal(
      find('websocket.url')?.title,
      "devices get ws://192.168.1.10:8000/xiaozhi/v1/ (fixed by the proxy: the upstream's 172.21.0.5 is Docker-internal)",
    );
    assert.equal(find('proxy.rules'), undefined, 'a running proxy does not tell doctor its rules');
    const seen = h.exchanges().slice(before);
    assert.equal(seen.length, 1, 'the running proxy saw one check');
    assert.deepEqual(seen[0]?.['device'], {
      id: '02:00:00:d0:c7:01',
      board: 'bread-compact-wifi',
      version: '1.6.0',
    });
  });

  test('a proxy URL where nothing listens: FAIL', async () => {
    const config = h.proxy.config();
    const choice = chooseDeviceHost({ option: '192.168.1.10', config, interfaces: [] });
    if (typeof choice === 'string') throw new Error(choice);
    const report = await runDoctor({
      config,
      env: {},
      deviceHost: choice,
      proxyUrl: 'http://127.0.0.1:1',
      prober: loopbackProber(),
      timeoutMs: 2000,
    });
    assert.equal(report.findings.find((f) => f.id === 'proxy.reachable')?.status, 'fail');
    assert.equal(report.ok, false);
  });
});
