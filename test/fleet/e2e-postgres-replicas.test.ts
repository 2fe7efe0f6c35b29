/**
 * Two proxy replicas on one PostgreSQL (docs/fleet.md "Replicas"): v2 device simulators whose checks and
 * downloads alternate between them. Every attempt ends in the right state whichever replica saw which
 * event, and a halt made on one replica is obeyed by the other within `sync_ms`. Each test has its own
 * database, dropped after; without PostgreSQL the tests say why they are skipped (CI=true fails instead).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { entryId } from '../../src/fleet/entry-id.js';
import { startFleetProxy, type FleetProxy } from '../helpers/fleet-proxy.js';
import { createPostgresDatabase } from '../helpers/fleet-stores.js';
import { FakeXiaozhi, V2Device } from '../helpers/v2-device.js';

const MAIN = { board: 'bread-compact-wifi', version: '1.7.0', size: 1024 * 1024 };
const operator = { means: 'api', address: '127.0.0.1' } as const;

async function twoReplicas(t: TestContext, fleetYaml: string): Promise<[FleetProxy, FleetProxy] | null> {
  const db = await createPostgresDatabase();
  if (typeof db === 'string') {
    t.skip(db);
    return null;
  }
  const xiaozhi = new FakeXiaozhi();
  const a = await startFleetProxy({ store: db.url, images: [MAIN], xiaozhi, fleetYaml });
  const b = await startFleetProxy({ store: db.url, images: [MAIN], xiaozhi, fleetYaml });
  t.after(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });
  return [a, b];
}

function mac(n: number): string {
  return `02:00:00:00:70:${n.toString(16).padStart(2, '0')}`;
}

test('checks and downloads alternating between two replicas: every attempt ends right', async (t) => {
  const replicas = await twoReplicas(t, '  halt:\n    min_failed_devices: 100\n');
  if (replicas === null) return;
  const [a, b] = replicas;
  // Each device's checks alternate A, B, A …; its downloads go to the replica its last check did not.
  const alternating = (n: number): { device: V2Device; other: () => number } => {
    let turn = n % 2;
    const ports = [a.port, b.port];
    const device = new V2Device({
      mac: mac(n),
      version: '1.6.0',
      port: () => ports[turn++ % 2] as number,
    });
    // The replica the next check will not go to.
    return { device, other: () => ports[(turn + 1) % 2] as number };
  };

  const installed = alternating(1);
  await installed.device.boot({ downloadPort: installed.other() });
  await installed.device.boot();
  const rejected = alternating(2);
  await rejected.device.boot({ after: 'reject', downloadPort: rejected.other() });
  await rejected.device.boot({ download: 'skip' });
  const aborted = alternating(3);
  await aborted.device.boot({ download: 'cut', downloadPort: aborted.other() });
  await aborted.device.boot({ download: 'skip' });
  const notDownloaded = alternating(4);
  await notDownloaded.device.boot({ download: 'skip' });
  await notDownloaded.device.boot({ download: 'skip' });
  const superseded = alternating(5);
  await superseded.device.boot({ download: 'skip' });
  superseded.device.version = '1.6.9';
  await superseded.device.boot({ download: 'skip' });

  const ended = async (n: number) => a.attemptIn(mac(n), 'failed', { number: 1 }).then((x) => x.reason);
  assert.equal((await a.attemptIn(mac(1), 'installed', { number: 1 })).download_by !== null, true);
  assert.equal(await ended(2), 'rejected-or-rolled-back');
  assert.equal(await ended(3), 'download-aborted');
  assert.equal(await ended(4), 'not-downloaded');
  assert.equal((await b.attemptIn(mac(5), 'superseded', { number: 1 })).counted, false);

  // The download was served by one replica and the offer made by the other, and both see the same record.
  const one = (await b.show(mac(1)))?.attempts.find((x) => x.number === 1);
  assert.equal(one?.state, 'installed');
  assert.notEqual(one?.offered_by, one?.download_by, 'offered on one replica, downloaded from the other');
  // Each ending was claimed once: one `update installed` line across both replicas.
  const lines = [...a.h.logs, ...b.h.logs].filter((l) => l.msg === 'update installed' && l.device === mac(1));
  assert.equal(lines.length, 1);
});

test('a halt made on one replica is obeyed by the other within sync_ms', async (t) => {
  const syncMs = 150; // startFleetProxy's sync_ms
  const replicas = await twoReplicas(t, '');
  if (replicas === null) return;
  const [a, b] = replicas;
  const d = new V2Device({ mac: mac(20), version: '1.6.0', port: b.port });
  assert.equal((await d.check()).reply?.firmware?.version, '1.7.0');
  const halted = await a.fleet.halt(
    { entryId: entryId(MAIN.board, MAIN.version), ...MAIN },
    operator,
    'test halt',
  );
  assert.equal(halted, true);
  const at = performance.now();
  let obeyed: number | null = null;
  while (performance.now() - at < 5 * syncMs) {
    if (!(await d.check()).reply?.firmware?.url) {
      obeyed = performance.now() - at;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(obeyed !== null, 'replica B never obeyed the halt');
  // B syncs every sync_ms: the halt reaches it within one interval, plus one read and one check.
  assert.ok(obeyed <= syncMs + 250, `obeyed after ${Math.round(obeyed)} ms`);
  t.diagnostic(`replica B stopped offering ${Math.round(obeyed)} ms after the halt (sync_ms ${syncMs})`);
});
