import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildAppImage } from '../helpers/app-image.js';
import type { FirmwareServer } from '../helpers/firmware-server.js';
import {
  fetchFirmware,
  rawExchange,
  splitResponse,
  startFirmwareServer,
} from '../helpers/firmware-server.js';
import { catalogEntryForTarget } from '../../src/http/firmware-route.js';

// Only catalog files are served, looked up by name; nothing is joined from the URL (issue 4, Serving).
describe('/firmware/ refuses anything that is not a catalog file name', () => {
  let server: FirmwareServer;

  before(async () => {
    server = await startFirmwareServer();
    await server.addFile('xiaozhi.bin', buildAppImage({ version: '2.0.4' }));
    // Files that exist on disk but are not catalog entries: in the folder, in a sub-folder, beside it.
    await writeFile(join(server.dir, 'catalog.yaml'), '[]\n');
    await writeFile(join(server.dir, 'other.bin'), buildAppImage({ version: '1.0.0' }));
    await mkdir(join(server.dir, 'sub'));
    await writeFile(join(server.dir, 'sub', 'xiaozhi.bin'), buildAppImage({ version: '9.9.9' }));
  });
  after(() => server.close());

  const targets = [
    '/firmware/../xiaozhi.bin',
    '/firmware/..%2fxiaozhi.bin',
    '/firmware/%2e%2e/etc/passwd',
    '/firmware/%2E%2E%2Fcatalog.yaml',
    '/firmware/..',
    '/firmware/.',
    '/firmware/',
    '/firmware',
    '/firmware/..\\xiaozhi.bin',
    '/firmware/sub\\xiaozhi.bin',
    '/firmware/sub/xiaozhi.bin',
    '/firmware/sub%2fxiaozhi.bin',
    '/firmware//etc/passwd',
    '/firmware//xiaozhi.bin',
    '/firmware/xiaozhi.bin/',
    '/firmware/xiaozhi.bin%00',
    '/firmware/%78iaozhi.bin',
    '/firmware/XIAOZHI.BIN',
    '/FIRMWARE/xiaozhi.bin',
    '/firmware/catalog.yaml',
    '/firmware/other.bin',
    `http://127.0.0.1/firmware/xiaozhi.bin`,
    '/x/../firmware/xiaozhi.bin',
  ];

  for (const target of targets) {
    test(`404 for ${target}`, async () => {
      const raw = await rawExchange(
        server.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(splitResponse(raw).status, 404);
    });
  }

  test('the catalog file itself is served, a query string ignored', async () => {
    assert.equal((await fetchFirmware(server.port, '/firmware/xiaozhi.bin')).status, 200);
    assert.equal((await fetchFirmware(server.port, '/firmware/xiaozhi.bin?t=1')).status, 200);
  });

  test('without a catalog everything is 404', async () => {
    server.setCatalog(null);
    try {
      assert.equal((await fetchFirmware(server.port, '/firmware/xiaozhi.bin')).status, 404);
    } finally {
      await server.addFile('xiaozhi.bin', buildAppImage({ version: '2.0.4' }));
    }
  });

  test('other methods get 405 with Allow', async () => {
    const res = await fetchFirmware(server.port, '/firmware/xiaozhi.bin', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  test('catalogEntryForTarget checks the raw target without decoding', () => {
    const entry = { file: 'a.bin' };
    const catalog = { entries: [], byFile: new Map([['a.bin', entry]]) } as never;
    assert.equal(catalogEntryForTarget('/firmware/a.bin', catalog), entry);
    assert.equal(catalogEntryForTarget('/firmware/a.bin?x=../../', catalog), entry);
    assert.equal(catalogEntryForTarget('/firmware/a%2ebin', catalog), null);
    assert.equal(catalogEntryForTarget('/firmware/a.bin', null), null);
  });
});
