import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { buildAppImage } from '../helpers/app-image.js';
import type { FirmwareServer, LogLine } from '../helpers/firmware-server.js';
import { startFirmwareServer } from '../helpers/firmware-server.js';

const SIZE = 24 * 1024 * 1024;

/**
 * Opens a raw connection, sends a device-like GET, resolves once `bytes` of the response have arrived,
 * with how many of them were body bytes (the server sent at least those).
 */
function startDownload(port: number, bytes: number): Promise<{ socket: Socket; bodyBytes: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= bytes) {
        socket.off('data', onData);
        socket.pause();
        const head = Buffer.concat(chunks).indexOf('\r\n\r\n') + 4;
        resolve({ socket, bodyBytes: received - head });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write('GET /firmware/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  });
}

async function waitForLine(lines: LogLine[], msg: string, timeoutMs = 5000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = lines.find((l) => l.msg === msg);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no "${msg}" log line`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a firmware download cut short', () => {
  let server: FirmwareServer;

  before(async () => {
    server = await startFirmwareServer({ stallTimeoutMs: 300 });
    await server.addFile('big.bin', buildAppImage({ version: '2.0.4', size: SIZE }));
  });
  after(() => server.close());

  test('a client disconnecting mid-way is logged as aborted with the bytes sent so far', async () => {
    server.lines.length = 0;
    const { socket, bodyBytes } = await startDownload(server.port, 64 * 1024);
    socket.destroy();
    const line = await waitForLine(server.lines, 'firmware download aborted');
    assert.equal(line['client'], '127.0.0.1');
    assert.equal(line['file'], 'big.bin');
    assert.equal(line['status'], 200);
    assert.equal(typeof line['bytes'], 'number');
    // At least what the client got, never the whole file.
    const sent = line['bytes'] as number;
    assert.ok(sent >= bodyBytes && sent < SIZE, `${sent} bytes logged, ${bodyBytes} received`);
    assert.equal(
      server.lines.some((l) => l.msg === 'firmware download complete'),
      false,
    );
  });

  test('a client that stops reading is cut after the stall timeout', async () => {
    server.lines.length = 0;
    const { socket, bodyBytes } = await startDownload(server.port, 64 * 1024);
    try {
      const line = await waitForLine(server.lines, 'firmware download aborted');
      assert.equal(line['reason'], 'stalled');
      const sent = line['bytes'] as number;
      assert.ok(sent >= bodyBytes && sent < SIZE, `${sent} bytes logged, ${bodyBytes} received`);
    } finally {
      socket.destroy();
    }
  });
});
