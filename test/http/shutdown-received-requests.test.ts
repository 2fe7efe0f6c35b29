/**
 * Shutdown answers every request already received (docs/configuration.md "Fleet and hardening amendments":
 * "answer every request already received within `shutdown_grace_ms`"): 200 downloads of a catalog image
 * requested 300 ms before `shutdown()` all complete, intact — also those whose connections still waited in
 * the kernel's accept queue when the shutdown began (closing the listener would reset them). On a
 * keep-alive connection every request received — before the shutdown or during it — is answered, and the
 * last reply announces `Connection: close`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DownloadsResult } from '../../bench/hostile-attack.js';
import { buildAppImage } from '../helpers/app-image.js';
import { startAttacker } from '../helpers/attacker-process.js';
import { deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness } from '../helpers/proxy-harness.js';
import { parseRawResponse, type RawResponse } from '../helpers/raw-client.js';

const DOWNLOADS = 200;
const image = buildAppImage({ version: '1.7.2', chipId: 9, size: 1024 * 1024 });

describe('shutdown with received requests', () => {
  test('200 downloads requested 300 ms before shutdown() all complete', async () => {
    const h = await startHarness({
      yaml: 'shutdown_grace_ms: 10000\nfirmware:\n  dir: firmware\n',
      files: {
        'firmware/catalog.yaml': '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n',
        'firmware/bread-1.7.2.bin': image,
      },
    });
    // The devices in their own process: their reading is not the proxy's work.
    const devices = await startAttacker();
    try {
      let requested = false;
      const downloads = devices.run<DownloadsResult>(
        {
          kind: 'downloads',
          port: h.port,
          path: '/firmware/bread-1.7.2.bin',
          count: DOWNLOADS,
          expectBytes: image.length,
          timeoutMs: 30_000,
        },
        () => (requested = true),
      );
      while (!requested) await sleep(5);
      await sleep(300);
      await h.proxy.shutdown();
      const result = await downloads;
      assert.deepEqual({ complete: result.complete, lost: result.lost }, { complete: DOWNLOADS, lost: 0 });
    } finally {
      await devices.close();
      await h.close();
    }
  });

  test('keep-alive: requests received before and during the shutdown are all answered, the last with Connection: close', async () => {
    const h = await startHarness({
      responder: async (): Promise<Reply> => {
        await sleep(600);
        return { kind: 'capture', name: 'python-default-post' };
      },
    });
    try {
      const check = deviceCheck({ drop: ['Connection'] });
      // One connection with two pipelined before the shutdown; one with a second request during it.
      const pipelined = keepAliveClient(h.port);
      const during = keepAliveClient(h.port);
      pipelined.socket.write(Buffer.concat([check, check]));
      during.socket.write(check);
      await sleep(100);
      const stopping = h.proxy.shutdown();
      await sleep(100);
      during.socket.write(check);
      const seen = await Promise.all([pipelined.replies, during.replies]);
      await stopping;
      for (const replies of seen)
        assert.deepEqual(
          replies.map((r) => [r.status, r.headers.find(([k]) => k === 'Connection')?.[1]]),
          [
            [200, 'keep-alive'],
            [200, 'close'],
          ],
        );
      assert.equal(h.exchanges().length, 4);
    } finally {
      await h.close();
    }
  });
});

/** A raw keep-alive connection; `replies` resolves with every reply once the proxy closes it. */
function keepAliveClient(port: number): { socket: net.Socket; replies: Promise<RawResponse[]> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const replies = new Promise<RawResponse[]>((resolve) =>
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const out: RawResponse[] = [];
      for (let at = 0; at < raw.length;) {
        const end = raw.indexOf('\r\n\r\n', at);
        const length = Number(/Content-Length: (\d+)/.exec(raw.subarray(at, end).toString('latin1'))?.[1]);
        out.push(parseRawResponse(raw.subarray(at, end + 4 + length)));
        at = end + 4 + length;
      }
      resolve(out);
    }),
  );
  return { socket, replies };
}
