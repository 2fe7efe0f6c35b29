/**
 * Shutdown answers every request already received (CONFIG.md "Fleet and hardening amendments":
 * "answer every request already received within `shutdown_grace_ms`"): 200 downloads of a catalog image
 * requested 300 ms before `shutdown()` all complete, intact — also those whose connections still waited in
 * the kernel's accept queue when the shutdown began (closing the listener would reset them).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DownloadsResult } from '../../bench/hostile-attack.js';
import { buildAppImage } from '../helpers/app-image.js';
import { startAttacker } from '../helpers/attacker-process.js';
import { startHarness } from '../helpers/proxy-harness.js';

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
});
