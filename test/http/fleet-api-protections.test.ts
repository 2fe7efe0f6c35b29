/**
 * The protections as the API shows and undoes them, on a SQLite store: a device that failed an entry three
 * times is listed by `blocked=true` with the reason, and `POST …/unblock` with the entry clears it (audited);
 * failures on three distinct devices halt the entry on their own — `/rollouts` says `by: fleet`, `/audit`
 * names the fleet — and `POST …/resume` offers it again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { entryId } from '../../src/fleet/entry-id.js';
import { api, device, fleetOf, json, startFleetProxy } from '../helpers/fleet-api.js';
import { checkThrough, waitFor } from '../helpers/fleet-service.js';
import type { Harness } from '../helpers/proxy-harness.js';

const BREAD = entryId('bread-compact-wifi', '1.7.0');
const REPEAT = 'aa:bb:cc:00:10:01';

describe('blocks and halts through the API', () => {
  let h: Harness;
  before(async () => {
    h = await startFleetProxy('data/fleet.db');
  });
  after(() => h.close());

  const fail = (id: string, times: number, start: number): void => {
    const catalog = h.proxy.catalogStore()?.current();
    assert.ok(catalog);
    // Offered 1.7.0, never downloads it, reports 1.6.0 again: a counted `not-downloaded` failure each time.
    for (let i = 0; i <= times; i++) checkThrough(fleetOf(h), catalog, device(id), { at: start + i * 1000 });
  };

  test('a device blocked after three failures is listed with its reason; unblock clears it', async () => {
    fail(REPEAT, 3, Date.now() - 10_000);
    await fleetOf(h).flush();
    await waitFor(
      'the block to be settled in the store',
      async () => {
        await fleetOf(h).flush();
        return ((await api(h, 'GET', '/devices?blocked=true')).body.total as number) === 1;
      },
      10_000,
    );
    const shown = await api(h, 'GET', `/devices/${REPEAT}`);
    const blocked = (shown.body.device as { blocked: Record<string, unknown>[] }).blocked;
    assert.deepEqual(
      blocked.map((b) => [b.entry_id, b.board, b.version, b.reason, b.failures]),
      [[BREAD, 'bread-compact-wifi', '1.7.0', 'not-downloaded', 3]],
    );
    const failed = (shown.body.attempts as { state: string; reason: string }[]).filter(
      (a) => a.state === 'failed',
    );
    assert.equal(failed.length, 3);

    const cleared = await api(h, 'POST', `/devices/${REPEAT}/unblock`, json({ entry_id: BREAD }));
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body, { device: REPEAT, cleared: [BREAD] });
    assert.equal((await api(h, 'GET', '/devices?blocked=true')).body.total, 0);
    assert.equal((await api(h, 'GET', '/devices?blocked=false')).body.total, 1);
    const audit = (await api(h, 'GET', '/audit')).body.items as {
      action: string;
      target: string;
      detail: unknown;
    }[];
    assert.deepEqual(audit[0], {
      ...audit[0],
      action: 'device.unblock',
      target: REPEAT,
      detail: { entry_id: BREAD, cleared: [BREAD] },
    });
  });

  test('failures on three distinct devices halt the entry by themselves; resume offers it again', async () => {
    const start = Date.now() - 5_000;
    for (const [i, id] of ['aa:bb:cc:00:20:01', 'aa:bb:cc:00:20:02', 'aa:bb:cc:00:20:03'].entries())
      fail(id, 1, start + i * 10);
    await waitFor(
      'the automatic halt',
      async () => {
        await fleetOf(h).flush();
        const r = (await api(h, 'GET', '/rollouts')).body.items as { entry_id: string; halted: unknown }[];
        return r.find((x) => x.entry_id === BREAD)?.halted != null;
      },
      10_000,
    );
    const rollout = ((await api(h, 'GET', '/rollouts')).body.items as Record<string, unknown>[]).find(
      (r) => r.entry_id === BREAD,
    );
    assert.equal((rollout?.halted as { by: string }).by, 'fleet');
    assert.ok((rollout?.failed as { total: number }).total >= 3);
    const audit = (await api(h, 'GET', '/audit')).body.items as {
      action: string;
      means: string;
      address: null;
    }[];
    assert.ok(audit.some((a) => a.action === 'rollout.halt' && a.means === 'fleet' && a.address === null));

    const resumed = await api(h, 'POST', `/rollouts/${BREAD}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.halted, null);
    assert.equal(typeof resumed.body.window_start, 'number');
  });
});
