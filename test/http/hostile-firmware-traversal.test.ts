/**
 * Traversal on /firmware/ through the whole proxy: only catalog files are served; `..` in any spelling,
 * encoded slashes and NULs, absolute-form targets, backslashes and other files of the folder get a framed
 * 404 (or 400), never a byte of another file — and /firmware/ is the proxy's own path, never proxied
 * upstream, also without a catalog (docs/configuration.md "Framing and paths", "Catalog").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppImage } from '../helpers/app-image.js';
import { errorFramingViolations } from '../helpers/device-contract.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest, type RawResponse } from '../helpers/raw-client.js';

const image = buildAppImage({ version: '1.7.2', chipId: 9, size: 2048 });
const SECRET = 'secret-config-marker';

const targets = [
  '/firmware/../proxy.yaml',
  '/firmware/..%2fproxy.yaml',
  '/firmware/%2e%2e/proxy.yaml',
  '/firmware/%2e%2e%2fproxy.yaml',
  '/firmware/%252e%252e%252fproxy.yaml',
  '/firmware/..\\proxy.yaml',
  '/firmware/..%5cproxy.yaml',
  '/firmware//etc/passwd',
  '/firmware/%2fetc%2fpasswd',
  '/firmware/catalog.yaml',
  '/firmware/notes.txt',
  '/firmware/bread-1.7.2.bin%00.txt',
  '/firmware/bread-1.7.2.bin/..',
  '/firmware/./notes.txt',
  '/firmware/',
  '/firmware/BREAD-1.7.2.BIN',
];

function get(port: number, target: string): Promise<RawResponse> {
  return rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
}

describe('traversal on /firmware/', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      yaml: `firmware:\n  dir: firmware\n# ${SECRET}\n`,
      files: {
        'firmware/catalog.yaml': '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n',
        'firmware/bread-1.7.2.bin': image,
        'firmware/notes.txt': SECRET,
      },
    });
  });
  after(() => h.close());

  for (const target of targets) {
    test(`${target} → not served`, async () => {
      const res = await get(h.port, target);
      assert.equal(res.status, 404, res.statusLine);
      assert.equal(res.body.toString('latin1'), 'not found\n');
      assert.deepEqual(errorFramingViolations(res), []);
      assert.equal(res.body.includes(SECRET), false);
      assert.equal(res.body.includes('listen:'), false);
      assert.deepEqual(h.upstream.received, [], 'never proxied');
    });
  }

  test('an absolute-form target is routed on its resolved path: never a file of the folder', async () => {
    // `http://h/firmware/../proxy.yaml` is routed on its path as sent (never normalised): /firmware/, a 404.
    const res = await get(h.port, 'http://evil.example/firmware/../proxy.yaml');
    assert.equal(res.status, 404, res.statusLine);
    assert.equal(res.body.toString('latin1'), 'not found\n');
    assert.equal(res.body.includes(SECRET), false);
    assert.equal(res.body.includes('listen:'), false);
    assert.deepEqual(h.upstream.received, [], 'never proxied');
  });

  test('the catalog file itself is served', async () => {
    const res = await get(h.port, '/firmware/bread-1.7.2.bin');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, image);
  });
});

describe('/firmware/ without a catalog', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('404 from the proxy itself, never proxied upstream', async () => {
    for (const target of ['/firmware/x.bin', '/firmware/../xiaozhi/ota/']) {
      const res = await get(h.port, target);
      assert.equal(res.status, 404);
      assert.deepEqual(errorFramingViolations(res), []);
    }
    assert.deepEqual(h.upstream.received, []);
  });
});
