import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { open, rename, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildAppImage } from '../helpers/app-image.js';
import type { FirmwareServer } from '../helpers/firmware-server.js';
import { fetchFirmware, splitResponse, startFirmwareServer } from '../helpers/firmware-server.js';

const SIZE = 24 * 1024 * 1024;

/**
 * Starts a raw download, calls `meanwhile` once the first bytes arrived (the client paused, so the server
 * is held back mid-file), then reads to the end and returns everything received.
 */
function downloadWith(port: number, meanwhile: () => Promise<void>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let started = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (started) return;
      started = true;
      socket.pause();
      meanwhile().then(() => socket.resume(), reject);
    });
    socket.on('error', () => undefined); // a reset is an outcome here, not a failure
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.write('GET /firmware/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  });
}

describe('a firmware file replaced on disk', () => {
  let server: FirmwareServer;
  const original = buildAppImage({ version: '2.0.4', size: SIZE, seed: 1 });
  const replacement = buildAppImage({ version: '2.0.5', size: SIZE, seed: 2 });

  beforeEach(async () => {
    server = await startFirmwareServer();
    await server.addFile('big.bin', original);
  });
  afterEach(() => server.close());

  test('renamed over mid-download: the stream started keeps the file it opened', async () => {
    const raw = await downloadWith(server.port, async () => {
      await writeFile(join(server.dir, 'big.bin.tmp'), replacement);
      await rename(join(server.dir, 'big.bin.tmp'), join(server.dir, 'big.bin'));
    });
    const res = splitResponse(raw);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, SIZE);
    assert.ok(res.body.equals(original), 'the body is the original image, not a mix');
  });

  test('rewritten in place mid-download: cut before Content-Length, never delivered whole', async () => {
    const raw = await downloadWith(server.port, async () => {
      const handle = await open(join(server.dir, 'big.bin'), 'r+');
      try {
        await handle.write(replacement, 0, replacement.length, 0);
      } finally {
        await handle.close();
      }
      const later = new Date(Date.now() + 5000);
      await utimes(join(server.dir, 'big.bin'), later, later);
    });
    const res = splitResponse(raw);
    assert.equal(res.headers.get('content-length'), String(SIZE));
    assert.ok(res.body.length < SIZE, `got ${res.body.length} of ${SIZE} bytes`);
    assert.ok(
      server.lines.some(
        (l) => l.msg === 'firmware download aborted' && l['reason'] === 'file changed during the download',
      ),
    );
  });

  test('changed before the request and not yet reloaded: 503, not the unvalidated file', async () => {
    await writeFile(join(server.dir, 'big.bin'), buildAppImage({ version: '2.0.5', size: 1000 }));
    const res = await fetchFirmware(server.port, '/firmware/big.bin');
    assert.equal(res.status, 503);
  });

  test('deleted and not yet reloaded: 503', async () => {
    await unlink(join(server.dir, 'big.bin'));
    const res = await fetchFirmware(server.port, '/firmware/big.bin');
    assert.equal(res.status, 503);
  });
});
