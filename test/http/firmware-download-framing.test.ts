import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildAppImage } from '../helpers/app-image.js';
import type { FirmwareServer } from '../helpers/firmware-server.js';
import { rawExchange, splitResponse, startFirmwareServer } from '../helpers/firmware-server.js';

// docs/device-contract.md §2 and §5: the device GETs with only Host and Connection: close, and needs an exact
// `Content-Length` spelled so, no chunking, no compression; checked on the raw bytes.
describe('firmware download framing on the wire', () => {
  let server: FirmwareServer;
  const image = buildAppImage({ version: '2.0.4', size: 300_000 });

  before(async () => {
    server = await startFirmwareServer();
    await server.addFile('xiaozhi.bin', image);
  });
  after(() => server.close());

  test('a device download carries Content-Length in that casing, no chunking, only the listed headers', async () => {
    const raw = await rawExchange(
      server.port,
      `GET /firmware/xiaozhi.bin HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    const res = splitResponse(raw);
    assert.equal(res.status, 200);
    assert.ok(res.headerLines.includes(`Content-Length: ${image.length}`), res.headerLines.join('\n'));
    assert.ok(res.headerLines.includes('Content-Type: application/octet-stream'));
    assert.ok(res.headerLines.includes('Accept-Ranges: bytes'));
    assert.ok(res.headerLines.includes('Connection: close'));
    const names = res.headerLines.map((line) => line.slice(0, line.indexOf(':')));
    assert.deepEqual(names.sort(), [
      'Accept-Ranges',
      'Connection',
      'Content-Length',
      'Content-Type',
      'Date',
      'ETag',
      'Last-Modified',
    ]);
    assert.equal(res.headers.get('transfer-encoding'), undefined);
    assert.deepEqual(res.body, image);
  });

  test('a 206 is framed the same way, plus Content-Range', async () => {
    const raw = await rawExchange(
      server.port,
      `GET /firmware/xiaozhi.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=1000-1999\r\nConnection: close\r\n\r\n`,
    );
    const res = splitResponse(raw);
    assert.equal(res.status, 206);
    assert.ok(res.headerLines.includes('Content-Length: 1000'));
    assert.ok(res.headerLines.includes(`Content-Range: bytes 1000-1999/${image.length}`));
    assert.deepEqual(res.body, image.subarray(1000, 2000));
  });

  test('errors carry only Content-Type, Content-Length, Date and Connection', async () => {
    const raw = await rawExchange(
      server.port,
      `GET /firmware/nope.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    const res = splitResponse(raw);
    assert.equal(res.status, 404);
    const names = res.headerLines.map((line) => line.slice(0, line.indexOf(':')));
    assert.deepEqual(names.sort(), ['Connection', 'Content-Length', 'Content-Type', 'Date']);
    assert.ok(res.headerLines.includes(`Content-Length: ${res.body.length}`));
    assert.equal(res.body.toString('latin1'), 'not found\n');
  });

  test('a client that keeps the connection alive can download twice on it', async () => {
    const one = `GET /firmware/xiaozhi.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-3\r\n\r\n`;
    const two = `GET /firmware/xiaozhi.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=4-7\r\nConnection: close\r\n\r\n`;
    const raw = await rawExchange(server.port, one + two);
    const text = raw.toString('latin1');
    assert.equal(text.match(/HTTP\/1\.1 206/g)?.length, 2);
    assert.ok(!/transfer-encoding/i.test(text));
    // Both replies whole, each with its own bytes.
    const first = splitResponse(raw);
    assert.equal(first.headers.get('content-length'), '4');
    assert.deepEqual(first.body.subarray(0, 4), image.subarray(0, 4));
    const second = splitResponse(first.body.subarray(4));
    assert.equal(second.status, 206);
    assert.deepEqual(second.body, image.subarray(4, 8));
  });
});
