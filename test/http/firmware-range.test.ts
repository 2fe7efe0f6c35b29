import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppImage } from '../helpers/app-image.js';
import type { FirmwareServer } from '../helpers/firmware-server.js';
import { fetchFirmware, startFirmwareServer } from '../helpers/firmware-server.js';
import type { CatalogEntry } from '../../src/firmware/types.js';

describe('GET/HEAD /firmware/<file>: validators, ranges, If-Range', () => {
  let server: FirmwareServer;
  let entry: CatalogEntry;
  const image = buildAppImage({ version: '2.0.4', size: 5000 });
  const path = '/firmware/xiaozhi.bin';

  before(async () => {
    server = await startFirmwareServer();
    entry = await server.addFile('xiaozhi.bin', image);
  });
  after(() => server.close());

  test('GET serves the whole file with its validators', async () => {
    const res = await fetchFirmware(server.port, path);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, image);
    assert.equal(res.headers['content-length'], '5000');
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers.etag, `"${entry.sha256}"`);
    assert.equal(res.headers['last-modified'], new Date(entry.mtimeMs).toUTCString());
    assert.equal(res.headers['accept-ranges'], 'bytes');
    assert.equal(res.headers['content-range'], undefined);
    assert.equal(res.headers['transfer-encoding'], undefined);
  });

  test('HEAD gives the same headers and no body, and ignores Range', async () => {
    const res = await fetchFirmware(server.port, path, { method: 'HEAD', headers: { Range: 'bytes=0-9' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers['content-length'], '5000');
    assert.equal(res.headers.etag, `"${entry.sha256}"`);
  });

  test('a single range gives 206 with Content-Range and exactly those bytes', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=4990-', 4990, 4999],
      ['bytes=-10', 4990, 4999],
      ['bytes=100-99999', 100, 4999],
    ];
    for (const [range, start, end] of cases) {
      const res = await fetchFirmware(server.port, path, { headers: { Range: range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/5000`);
      assert.equal(res.headers['content-length'], String(end - start + 1));
      assert.deepEqual(res.body, image.subarray(start, end + 1));
    }
  });

  test('an unsatisfiable range gives 416 with Content-Range: bytes */size', async () => {
    const res = await fetchFirmware(server.port, path, { headers: { Range: 'bytes=5000-' } });
    assert.equal(res.status, 416);
    assert.equal(res.headers['content-range'], 'bytes */5000');
    assert.equal(res.headers['content-length'], String(res.body.length));
  });

  test('several ranges or a malformed one are served whole', async () => {
    for (const range of ['bytes=0-1,10-20', 'bytes=9-1', 'lines=1-2']) {
      const res = await fetchFirmware(server.port, path, { headers: { Range: range } });
      assert.equal(res.status, 200, range);
      assert.deepEqual(res.body, image, range);
    }
  });

  test('If-Range with our ETag or Last-Modified lets the range apply; anything else sends it whole', async () => {
    const lastModified = new Date(entry.mtimeMs).toUTCString();
    const partial = [`"${entry.sha256}"`, lastModified];
    for (const ifRange of partial) {
      const res = await fetchFirmware(server.port, path, {
        headers: { Range: 'bytes=10-19', 'If-Range': ifRange },
      });
      assert.equal(res.status, 206, ifRange);
      assert.deepEqual(res.body, image.subarray(10, 20));
    }
    const whole = ['"0000"', `W/"${entry.sha256}"`, new Date(entry.mtimeMs - 60_000).toUTCString()];
    for (const ifRange of whole) {
      const res = await fetchFirmware(server.port, path, {
        headers: { Range: 'bytes=10-19', 'If-Range': ifRange },
      });
      assert.equal(res.status, 200, ifRange);
      assert.deepEqual(res.body, image);
    }
  });

  test('each completed download is logged with client, file, bytes and status', async () => {
    await fetchFirmware(server.port, path, { headers: { Range: 'bytes=0-9' } });
    const line = server.lines.filter((l) => l.msg === 'firmware download complete').at(-1);
    assert.ok(line);
    assert.equal(line['client'], '127.0.0.1');
    assert.equal(line['file'], 'xiaozhi.bin');
    assert.equal(line['bytes'], 10);
    assert.equal(line['status'], 206);
  });
});
