/**
 * The fallback carries the catalog's offer (docs/configuration.md "Fallback reply"), so an update can still be rolled
 * out — and a device that just updated still gets a check that succeeds — while the upstream is down; the
 * offered download is served by the proxy itself (docs/device-contract.md §5).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppImage } from '../helpers/app-image.js';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck, LEGACY_DEVICE } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, rawRequest } from '../helpers/raw-client.js';

const image = buildAppImage({ version: '1.7.2', chipId: 9, size: 4096 });

describe('the fallback with a catalog', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      responder: () => ({ kind: 'text', status: 503, body: 'maintenance' }),
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nfirmware:\n  dir: firmware\nbreaker:\n  failures: 1000\n',
      files: {
        'firmware/catalog.yaml': '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n',
        'firmware/bread-1.7.2.bin': image,
      },
    });
  });
  after(() => h.close());

  for (const [name, request, device] of [
    ['a current device', deviceCheck({ set: [['Host', '192.168.1.10:8003']] }), CAPTURED_DEVICE],
    [
      'a device ≤ 1.5.9',
      deviceCheck({ set: [['Host', '192.168.1.10:8003']], drop: ['Activation-Version'] }),
      LEGACY_DEVICE,
    ],
  ] as const) {
    test(`${name} gets the catalog's offer in the fallback, and the offered file downloads`, async () => {
      const res = await rawRequest(h.port, request);
      assert.deepEqual(contractViolations(res, device, { fallback: true }), []);
      const body = JSON.parse(res.body.toString('utf8')) as { firmware?: { version: string; url: string } };
      assert.deepEqual(body.firmware, {
        version: '1.7.2',
        url: 'http://192.168.1.10:8003/firmware/bread-1.7.2.bin',
      });
      const line = h.exchanges().at(-1);
      assert.equal(line?.outcome, 'fallback');
      assert.deepEqual(line?.rules, ['fallback', 'firmware']);

      const download = await rawRequest(
        h.port,
        'GET /firmware/bread-1.7.2.bin HTTP/1.1\r\nHost: 192.168.1.10:8003\r\nConnection: close\r\n\r\n',
      );
      assert.equal(download.status, 200);
      assertDeviceFraming(download, { extraHeaders: ['ETag', 'Last-Modified', 'Accept-Ranges'] });
      assert.deepEqual(download.body, image);
    });
  }
});
