/** /metrics after scripted traffic: the metric names and their values for checks by outcome, upstream latency and errors, rules, offers, downloads and config reloads. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { buildAppImage } from '../helpers/app-image.js';
import { deviceRequest } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const SMALL = buildAppImage({ version: '1.7.0', size: 4096 });
const BIG = buildAppImage({ version: '1.8.0', size: 24 * 1024 * 1024 });

/** The value of one series in the Prometheus text, `undefined` when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (.+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const got = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (
      Object.entries(labels).every(([k, v]) => got[k] === v) &&
      Object.keys(got).length === Object.keys(labels).length
    )
      return Number(match[3]);
  }
  return undefined;
}

async function scrape(h: Harness): Promise<string> {
  const res = await fetch(`${h.proxy.url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('metrics after scripted traffic', () => {
  let h: Harness;
  let reply: Reply = { kind: 'capture', name: 'python-default-post' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nfirmware:\n  dir: firmware\nlimits:\n  device_body_bytes: 4096\n',
      files: {
        'firmware/catalog.yaml':
          '- board: bread-compact-wifi\n  version: 1.7.0\n  file: small.bin\n- board: other-board\n  version: 1.8.0\n  file: big.bin\n',
        'firmware/small.bin': SMALL,
        'firmware/big.bin': BIG,
      },
    });
  });
  after(() => h.close());

  test('zero series exist before any traffic, with the loaded config hash', async () => {
    const text = await scrape(h);
    for (const outcome of ['rewritten', 'passthrough', 'guard-repaired', 'fallback', 'rejected', 'failed']) {
      assert.equal(value(text, 'xiaozhi_ota_proxy_ota_checks_total', { outcome }), 0, outcome);
    }
    for (const event of ['started', 'completed', 'aborted'])
      assert.equal(value(text, 'xiaozhi_ota_proxy_firmware_downloads_total', { event }), 0);
    assert.equal(value(text, 'xiaozhi_ota_proxy_config_reloads_total', { result: 'ok' }), 0);
    assert.equal(value(text, 'xiaozhi_ota_proxy_config_reloads_total', { result: 'failed' }), 0);
    const hash = createHash('sha256')
      .update(readFileSync(join(h.dir, 'proxy.yaml')))
      .digest('hex');
    assert.equal(value(text, 'xiaozhi_ota_proxy_config_info', { hash }), 1);
    assert.equal(value(text, 'xiaozhi_ota_proxy_catalog_entries'), 2);
    assert.equal(value(text, 'xiaozhi_ota_proxy_breaker_state', { state: 'closed' }), 1);
    assert.match(text, /^process_cpu_user_seconds_total /m);
  });

  test('checks are counted by outcome, with upstream latency and errors, rules and offers', async () => {
    const device = (): Buffer => deviceRequest('python-default-post', { host: '192.168.1.10:8003' });
    reply = { kind: 'capture', name: 'python-default-post' };
    await rawRequest(h.port, device());
    await rawRequest(h.port, device());
    reply = {
      kind: 'json',
      body: { websocket: { url: 'ws://192.168.1.10:8000/xiaozhi/v1/', version: '3' } },
    };
    await rawRequest(h.port, device());
    reply = { kind: 'capture', name: 'python-no-device-id' };
    await rawRequest(h.port, device());
    reply = { kind: 'reset' };
    await rawRequest(h.port, device());
    reply = { kind: 'text', body: 'nope', status: 500 };
    await rawRequest(h.port, device());
    const head =
      'POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n';
    await rawRequest(h.port, Buffer.concat([Buffer.from(head), Buffer.alloc(5000, 0x20)]));
    reply = { kind: 'text', body: 'OTA接口运行正常' };
    await rawRequest(h.port, 'GET /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');

    const text = await scrape(h);
    const checks = (outcome: string): number | undefined =>
      value(text, 'xiaozhi_ota_proxy_ota_checks_total', { outcome });
    assert.equal(checks('rewritten'), 2);
    assert.equal(checks('guard-repaired'), 1);
    assert.equal(checks('passthrough'), 1);
    assert.equal(checks('fallback'), 2);
    assert.equal(checks('rejected'), 1);
    assert.equal(checks('failed'), 0);
    assert.equal(value(text, 'xiaozhi_ota_proxy_ota_requests_total', { kind: 'check', status: '200' }), 6);
    assert.equal(value(text, 'xiaozhi_ota_proxy_ota_requests_total', { kind: 'check', status: '413' }), 1);
    assert.equal(value(text, 'xiaozhi_ota_proxy_ota_requests_total', { kind: 'get', status: '200' }), 1);
    assert.equal(value(text, 'xiaozhi_ota_proxy_upstream_errors_total', { failure: 'reset' }), 1);
    assert.equal(value(text, 'xiaozhi_ota_proxy_upstream_errors_total', { failure: 'bad-status' }), 1);
    assert.equal(value(text, 'xiaozhi_ota_proxy_upstream_errors_total', { failure: 'refused' }), 0);
    assert.equal(value(text, 'xiaozhi_ota_proxy_upstream_duration_seconds_count', { kind: 'check' }), 6);
    assert.equal(value(text, 'xiaozhi_ota_proxy_upstream_duration_seconds_count', { kind: 'get' }), 1);
    assert.equal(
      value(text, 'xiaozhi_ota_proxy_upstream_duration_seconds_bucket', { kind: 'check', le: '+Inf' }),
      6,
    );
    // The repaired reply is also the one remembered: both fallback replies carry its `version: "3"` and get the same repair.
    assert.equal(
      value(text, 'xiaozhi_ota_proxy_guard_repairs_total', { repair: 'websocket.version-number' }),
      3,
    );
    assert.equal(value(text, 'xiaozhi_ota_proxy_rules_applied_total', { rule: 'websocket' }), 2);
    assert.equal(value(text, 'xiaozhi_ota_proxy_rules_applied_total', { rule: 'fallback' }), 2);
    // Every check but the error shape and the 413 got the catalog's 1.7.0 (the fallback offers it too).
    assert.equal(
      value(text, 'xiaozhi_ota_proxy_firmware_offers_total', {
        board: 'bread-compact-wifi',
        version: '1.7.0',
      }),
      5,
    );
    assert.equal(value(text, 'xiaozhi_ota_proxy_fallback_remembered_devices'), 1);
  });

  test('downloads started, completed and aborted, with the bytes sent', async () => {
    const whole = await rawRequest(
      h.port,
      'GET /firmware/small.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.equal(whole.status, 200);
    // The body bytes the aborted download got before it went away: the proxy sent at least those.
    const gotBody = await new Promise<number>((resolve, reject) => {
      const socket = connect(h.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const received = Buffer.concat(chunks);
        if (received.length > 64 * 1024) {
          socket.destroy();
          resolve(received.length - received.indexOf('\r\n\r\n') - 4);
        }
      });
      socket.on('error', reject);
      socket.write('GET /firmware/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    await until(
      async () =>
        value(await scrape(h), 'xiaozhi_ota_proxy_firmware_downloads_total', { event: 'aborted' }) === 1,
    );
    const text = await scrape(h);
    assert.equal(value(text, 'xiaozhi_ota_proxy_firmware_downloads_total', { event: 'started' }), 2);
    assert.equal(value(text, 'xiaozhi_ota_proxy_firmware_downloads_total', { event: 'completed' }), 1);
    const bytes = value(text, 'xiaozhi_ota_proxy_firmware_download_bytes_total') ?? 0;
    assert.ok(bytes >= SMALL.length + gotBody && bytes < SMALL.length + BIG.length, String(bytes));
  });

  test('config reloads are counted ok and failed, and the loaded hash follows the file', async () => {
    const file = join(h.dir, 'proxy.yaml');
    const original = readFileSync(file, 'utf8');
    const changed = `${original}shutdown_grace_ms: 9000\n`;
    const reloads = async (result: 'ok' | 'failed'): Promise<number | undefined> =>
      value(await scrape(h), 'xiaozhi_ota_proxy_config_reloads_total', { result });
    // Each save is reloaded once by the file watcher (waited for, so the counts are exact), then once more
    // on demand (SIGHUP's path).
    writeFileSync(file, changed);
    await until(async () => (await reloads('ok')) === 1);
    assert.equal((await h.proxy.reload('test')).ok, true);
    writeFileSync(file, `${changed}bogus_key: 1\n`);
    await until(async () => (await reloads('failed')) === 1);
    assert.equal((await h.proxy.reload('test')).ok, false);
    writeFileSync(file, changed);
    await until(async () => (await reloads('ok')) === 3);
    await new Promise((r) => setTimeout(r, 500)); // nothing more comes
    const text = await scrape(h);
    assert.equal(value(text, 'xiaozhi_ota_proxy_config_reloads_total', { result: 'ok' }), 3);
    assert.equal(value(text, 'xiaozhi_ota_proxy_config_reloads_total', { result: 'failed' }), 2);
    const hash = createHash('sha256').update(changed).digest('hex');
    assert.equal(value(text, 'xiaozhi_ota_proxy_config_info', { hash }), 1);
    assert.equal(
      text.split('\n').filter((l) => l.startsWith('xiaozhi_ota_proxy_config_info{')).length,
      1,
      'one hash at a time',
    );
  });
});
