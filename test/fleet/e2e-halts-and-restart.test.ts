/**
 * Rollout halts and pins end to end (docs/fleet.md "Per rollout", "Pins"), and a restart that keeps it all
 * (SQLite): v2 device simulators through the real proxy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryId } from '../../src/fleet/entry-id.js';
import { startFleetProxy, type FleetProxy } from '../helpers/fleet-proxy.js';
import { waitFor } from '../helpers/fleet-service.js';
import { V2Device } from '../helpers/v2-device.js';

const OLD = { board: 'bread-compact-wifi', version: '1.6.5' };
const NEW = { board: 'bread-compact-wifi', version: '1.7.0' };
const PIN = { board: 'pin-board', version: '1.5.0', extra: '  force: true' };
const operator = { means: 'api', address: '127.0.0.1' } as const;

function mac(n: number): string {
  return `02:00:00:00:20:${n.toString(16).padStart(2, '0')}`;
}

async function haltOf(p: FleetProxy, entryId: string) {
  const rollouts = await p.fleet.rollouts(p.h.proxy.catalogStore()?.current() ?? null);
  const rollout = rollouts.find((r) => r.entry_id === entryId);
  if (rollout === undefined) throw new Error(`no rollout ${entryId}`);
  return rollout.halted;
}

async function offeredVersion(p: FleetProxy, d: V2Device): Promise<string | null> {
  const reply = (await d.check()).reply;
  return reply?.firmware?.url ? reply.firmware.version : null;
}

test('failures on three distinct devices halt the entry; the next device gets the next eligible entry; resume; a restart keeps it all', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-halt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'fleet.db');
  let p = await startFleetProxy({ store, images: [OLD, NEW, PIN] });
  try {
    const newId = entryId(NEW.board, NEW.version);
    // One device installs (I = 1), three reject the image once each (F = 3, 3 / 4 ≥ 0.2).
    const good = new V2Device({ mac: mac(1), version: '1.6.0', port: p.port });
    await good.boot();
    await good.boot();
    await p.attemptIn(good.mac, 'installed');
    const bad = [2, 3, 4].map((n) => new V2Device({ mac: mac(n), version: '1.6.0', port: p.port }));
    for (const d of bad) await d.boot({ after: 'reject' });
    for (const d of bad.slice(0, 2)) await d.check();
    await p.attemptIn(mac(3), 'failed', { number: 1 });
    await p.attemptIn(mac(2), 'failed', { number: 1 });
    assert.equal(await haltOf(p, newId), null, 'two failed devices of three: not yet');
    await bad[2]?.check();
    await waitFor('the halt', async () => (await haltOf(p, newId)) !== null);
    const halt = await haltOf(p, newId);
    assert.equal(halt?.by, 'fleet');
    assert.deepEqual([halt?.failed, halt?.installed], [3, 1]);
    const halted = p.h.logs.find((l) => l.msg === 'rollout halted');
    assert.equal(halted?.level, 40, 'logged at warn');
    assert.equal(halted?.entry, newId);

    // The next device is not offered the halted entry: the next eligible one (1.6.5) instead.
    const next = new V2Device({ mac: mac(5), version: '1.6.0', port: p.port });
    assert.equal(await offeredVersion(p, next), '1.6.5');
    const explained = p.h.exchanges().at(-1)?.firmware as { offered: string | null };
    assert.match(String(explained.offered), /1\.6\.5/);

    // /metrics shows the halt and the attempts (the store's figures).
    const metrics = await p.h.proxy.operator.metrics.render();
    assert.match(
      metrics,
      /xiaozhi_ota_proxy_rollout_halted\{board="bread-compact-wifi",version="1\.7\.0"\} 1/,
    );
    assert.match(
      metrics,
      /xiaozhi_ota_proxy_update_attempts_total\{board="bread-compact-wifi",version="1\.7\.0",result="failed"\} 3/,
    );
    assert.match(
      metrics,
      /xiaozhi_ota_proxy_update_attempts_total\{board="bread-compact-wifi",version="1\.7\.0",result="installed"\} 1/,
    );

    // A halted pin offers nothing at all, never the highest newer version instead.
    const pinned = new V2Device({ mac: mac(6), version: '1.4.0', port: p.port, board: PIN.board });
    assert.equal(await offeredVersion(p, pinned), '1.5.0');
    await p.fleet.halt(
      { entryId: entryId(PIN.board, PIN.version), board: PIN.board, version: PIN.version },
      operator,
    );
    assert.equal(await offeredVersion(p, pinned), null);
    assert.match(String((p.h.exchanges().at(-1)?.firmware as { reason: string }).reason), /^halted: /);

    // Restart on the same file: the halt, the attempts and the inventory are all still there.
    await p.close();
    p = await startFleetProxy({ store, images: [OLD, NEW, PIN] });
    const reborn = new V2Device({ mac: mac(7), version: '1.6.0', port: p.port });
    assert.equal(await offeredVersion(p, reborn), '1.6.5', 'still halted after the restart');
    assert.equal((await p.show(good.mac))?.attempts[0]?.state, 'installed');
    const third = (await p.show(mac(4)))?.attempts ?? [];
    assert.equal(third.find((a) => a.to_version === '1.7.0')?.reason, 'rejected-or-rolled-back');
    // The check that revealed the third failure was already answered with the next eligible entry.
    assert.equal(third[0]?.to_version, '1.6.5');
    assert.equal(
      await offeredVersion(
        p,
        new V2Device({ mac: mac(6), version: '1.4.0', port: p.port, board: PIN.board }),
      ),
      null,
    );

    // Resume: offered again at once on this replica (a new counting window).
    assert.equal(await p.fleet.resume(newId, operator), true);
    await waitFor('the resume to be synced', async () => (await offeredVersion(p, reborn)) === '1.7.0');
    assert.ok(p.h.logs.some((l) => l.msg === 'rollout resumed'));
  } finally {
    await p.close();
  }
});
