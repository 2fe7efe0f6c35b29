/**
 * Graceful shutdown (docs/configuration.md `shutdown_grace_ms`): the proxy stops accepting at once, lets a firmware
 * download and an OTA check that are in flight finish — both complete and intact — closes idle keep-alive
 * connections instead of waiting for them, and resolves well within the grace period. Work that outlives
 * the grace is cut off at its end.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildAppImage } from '../helpers/app-image.js';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness } from '../helpers/proxy-harness.js';
import { parseRawResponse, rawRequest } from '../helpers/raw-client.js';

const image = buildAppImage({ version: '1.7.2', chipId: 9, size: 6 * 1024 * 1024 });

/** A device-like download that reads its first bytes, stalls 400 ms, then reads the rest. */
function slowDownload(port: number): { started: Promise<void>; done: Promise<Buffer> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let resolveStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (resolveStarted = resolve));
  let stalled = false;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (!stalled) {
      stalled = true;
      socket.pause();
      resolveStarted();
      setTimeout(() => socket.resume(), 400);
    }
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
  socket.write('GET /firmware/bread-1.7.2.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  return { started, done };
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown', () => {
  test('in-flight checks and a download finish, new connections are refused, idle ones closed, within the grace', async () => {
    let slowMs = 600;
    const h = await startHarness({
      responder: async (): Promise<Reply> => {
        await sleep(slowMs);
        return { kind: 'capture', name: 'python-default-post' };
      },
      yaml: 'shutdown_grace_ms: 8000\nfirmware:\n  dir: firmware\n',
      files: {
        'firmware/catalog.yaml': '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n',
        'firmware/bread-1.7.2.bin': image,
      },
    });
    try {
      // An idle keep-alive client must not hold the shutdown up.
      const idle = net.connect({ host: '127.0.0.1', port: h.port });
      const idleClosed = new Promise<void>((resolve) => idle.on('close', () => resolve()));
      idle.on('error', () => {});
      idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => idle.once('data', resolve));

      const download = slowDownload(h.port);
      await download.started;
      const check = rawRequest(h.port, deviceCheck());
      // A client that keeps its connection alive: answered, then its connection closed, not kept idle.
      const keepAlive = rawRequest(h.port, deviceCheck({ drop: ['Connection'] }));
      await sleep(100); // both checks are now waiting on the upstream

      const started = performance.now();
      const stopping = h.proxy.shutdown();
      // The listener closes once the connections already in the kernel's accept queue are taken (a few
      // event-loop turns: shutdown-received-requests.test.ts).
      await sleep(200);
      assert.equal(await connectRefused(h.port), true, 'no new connections once shutting down');

      const reply = await check;
      assert.deepEqual(contractViolations(reply, CAPTURED_DEVICE), []);
      const kept = await keepAlive;
      assert.equal(kept.status, 200);
      assert.equal(kept.body.length, Number(kept.headers.find(([k]) => k === 'Content-Length')?.[1]));
      assert.equal(h.exchanges().at(-1)?.outcome, 'rewritten');
      const downloaded = parseRawResponse(await download.done);
      assert.equal(downloaded.status, 200);
      assert.deepEqual(downloaded.body, image);

      await stopping;
      await idleClosed;
      const took = performance.now() - started;
      // Well under the 8 s grace: nothing waited for an idle or finished keep-alive connection.
      assert.ok(took < 5000, `shutdown took ${Math.round(took)} ms`);
      assert.ok(h.logs.some((l) => l.msg === 'stopped'));
      slowMs = 0;
    } finally {
      await h.close();
    }
  });

  test('work that outlives the grace is cut off when it ends', async () => {
    const h = await startHarness({
      responder: () => ({ kind: 'hang' }),
      fullYaml:
        'listen: 127.0.0.1:0\nupstream:\n  url: {{upstream}}\n  timeout_ms: 20000\nshutdown_grace_ms: 300\n',
    });
    try {
      const check = rawRequest(h.port, deviceCheck()).then(
        (res) => `answered ${res.statusLine}`,
        (error: Error) => error.message,
      );
      await sleep(100);
      const started = performance.now();
      await h.proxy.shutdown();
      const took = performance.now() - started;
      assert.ok(took >= 250 && took < 3000, `shutdown took ${Math.round(took)} ms`);
      // The check still waits on the upstream when the grace ends: its connection is dropped, not a byte sent.
      assert.equal(await check, 'no header block in ""');
    } finally {
      await h.close();
    }
  });
});
