/**
 * Firmware from the local catalog, end to end (issue 4): the OTA reply offers the catalog's image at the
 * proxy's own /firmware/ URL, the device downloads it — both replies framed exactly on the raw socket —
 * `upstream_offers: drop` protects custom builds, the log line explains every decision, and a reload
 * swaps the catalog.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAppImage } from '../helpers/app-image.js';
import { deviceRequest } from '../helpers/captures.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, headerOf, rawRequest } from '../helpers/raw-client.js';

const image = buildAppImage({ version: '1.7.2', chipId: 9, size: 300_000 });
const catalog = `- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n`;

type Reply = { firmware?: { version: string; url: string; force?: number } };

describe('catalog offers end to end', () => {
  let h: Harness;
  let upstream = 'python-firmware-available';
  before(async () => {
    h = await startHarness({
      responder: () => ({ kind: 'capture', name: upstream }),
      yaml: 'firmware:\n  dir: firmware\n  upstream_offers: drop\n',
      files: { 'firmware/catalog.yaml': catalog, 'firmware/bread-1.7.2.bin': image },
    });
  });
  after(() => h.close());

  test('the OTA reply offers the catalog image, and its download is framed exactly (raw bytes)', async () => {
    upstream = 'python-default-post';
    const res = await rawRequest(h.port, deviceRequest('python-default-post', { host: '192.168.1.10:8003' }));
    assertDeviceFraming(res, { maxBytes: 4096 });
    const body = JSON.parse(res.body.toString()) as Reply;
    assert.deepEqual(body.firmware, {
      version: '1.7.2',
      url: 'http://192.168.1.10:8003/firmware/bread-1.7.2.bin',
    });
    const offered = (h.exchanges().at(-1)?.firmware as { offered: string | null }).offered;
    assert.equal(offered, 'bread-compact-wifi 1.7.2 (bread-1.7.2.bin)');

    // What the device sends for a download: only Host and Connection: close (docs/device-contract.md §5).
    const download = await rawRequest(
      h.port,
      'GET /firmware/bread-1.7.2.bin HTTP/1.1\r\nHost: 192.168.1.10:8003\r\nConnection: close\r\n\r\n',
    );
    assert.equal(download.status, 200);
    assertDeviceFraming(download, { extraHeaders: ['ETag', 'Last-Modified', 'Accept-Ranges'] });
    assert.equal(headerOf(download, 'Content-Type'), 'application/octet-stream');
    assert.equal(headerOf(download, 'ETag'), `"${createHash('sha256').update(image).digest('hex')}"`);
    assert.deepEqual(download.body, image);
  });

  test('the catalog offer replaces the upstream offer', async () => {
    upstream = 'python-firmware-available';
    const res = await rawRequest(h.port, deviceRequest('python-default-post', { host: '192.168.1.10:8003' }));
    assert.deepEqual((JSON.parse(res.body.toString()) as Reply).firmware, {
      version: '1.7.2',
      url: 'http://192.168.1.10:8003/firmware/bread-1.7.2.bin',
    });
  });

  test('upstream_offers: drop removes an upstream offer the catalog did not replace, and the log says why', async () => {
    upstream = 'python-firmware-available';
    const request = deviceRequest('python-default-post', { host: '192.168.1.10:8003' })
      .toString('latin1')
      .replaceAll('"version":"1.6.0"', '"version":"1.7.2"')
      .replace('bread-compact-wifi/1.6.0', 'bread-compact-wifi/1.7.2');
    const res = await rawRequest(h.port, Buffer.from(request, 'latin1'));
    const body = JSON.parse(res.body.toString()) as Reply;
    assert.equal(body.firmware, undefined, 'no download offered: the upstream offer is dropped whole');
    assert.deepEqual(h.exchanges().at(-1)?.firmware, {
      offered: null,
      reason:
        'not-newer: bread-compact-wifi 1.7.2 (catalog[0], bread-1.7.2.bin): not newer than the running 1.7.2',
      offer: null,
    });
  });

  test('a reload swaps the catalog: a newer entry is offered at once', async () => {
    const next = buildAppImage({ version: '1.8.0', chipId: 9, size: 2048, seed: 3 });
    writeFileSync(join(h.dir, 'firmware/bread-1.8.0.bin'), next);
    writeFileSync(
      join(h.dir, 'firmware/catalog.yaml'),
      `${catalog}- board: bread-compact-wifi\n  version: "1.8.0"\n  file: bread-1.8.0.bin\n`,
    );
    const reloaded = await h.proxy.reload('test');
    assert.equal(reloaded.ok, true);
    upstream = 'python-default-post';
    const res = await rawRequest(h.port, deviceRequest('python-default-post', { host: '192.168.1.10:8003' }));
    assert.deepEqual((JSON.parse(res.body.toString()) as Reply).firmware, {
      version: '1.8.0',
      url: 'http://192.168.1.10:8003/firmware/bread-1.8.0.bin',
    });
  });
});
