/**
 * One store test suite run against memory, SQLite (a temp file) and PostgreSQL (a database of its own):
 * one schema and behaviour on all three (docs/fleet.md "Store"; docs/contributing.md §22).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, SeenUpdate, CheckSeen } from '../../src/fleet/observations.js';
import { settleDevices, type SettleOutput } from '../../src/fleet/settle.js';
import type { DeviceQuery, FleetStore } from '../../src/fleet/store/types.js';
import { KNOWN_VERSION, MIGRATIONS } from '../../src/fleet/store/migrations.js';
import { checkEvent, downloadEvent, MINUTE, OFFER, T0, WINDOWS } from '../helpers/fleet-attempt.js';
import { STORE_KINDS, type OpenedStore } from '../helpers/fleet-stores.js';

const SETTINGS = { maxFailedAttempts: 3, minFailedDevices: 3, failureRate: 0.2, windows: WINDOWS };

function facts(overrides: Partial<CheckSeen> = {}): CheckSeen {
  return {
    clientId: 'c1',
    board: 'bread-compact-wifi',
    boardType: 'bread-compact-wifi',
    chip: 'esp32s3',
    version: '1.9.0',
    otaLabel: 'ota_0',
    slotOta0: 4_063_232,
    slotOta1: 4_063_232,
    flashSize: 16_777_216,
    language: 'zh-CN',
    address: '192.168.1.20',
    status: 200,
    outcome: 'rewritten',
    transport: 'websocket',
    activationPending: false,
    exchange: { upstream: 200 },
    ...overrides,
  };
}

function seen(device: string, at: number, check: Partial<CheckSeen> = {}, checks = 1): SeenUpdate {
  return { device, firstAt: at, lastAt: at, checks, check: facts(check), voice: null };
}

function settle(store: FleetStore, devices: string[], cutoff: number): Promise<SettleOutput> {
  return store.settle(devices, cutoff, (input) =>
    settleDevices({ ...input, cutoff, replica: 'settler', settings: SETTINGS }),
  );
}

const BASE: Omit<DeviceQuery, 'sort'> = { limit: 100, cursor: null, maxFailedAttempts: 3 };

for (const kind of STORE_KINDS) {
  describe(`fleet store: ${kind.name}`, () => {
    let store: FleetStore;
    let opened: OpenedStore;
    let cleanup: () => Promise<void> = async () => {};
    let skip: string | null = null;

    before(async () => {
      const result = await kind.open();
      if (typeof result === 'string') {
        skip = result;
        return;
      }
      opened = result;
      store = opened.store;
      cleanup = opened.cleanup;
      assert.deepEqual(await store.migrate(), { kind: 'current', version: KNOWN_VERSION });
    });
    after(() => cleanup());

    const it = (name: string, fn: () => Promise<void>) =>
      test(name, async (t) => {
        if (skip !== null) {
          t.skip(skip);
          return;
        }
        await fn();
      });

    it('migrating again changes nothing; the token secret is created once', async () => {
      assert.deepEqual(await store.migrate(), { kind: 'current', version: KNOWN_VERSION });
      assert.equal(await store.tokenSecret('first'), 'first');
      assert.equal(await store.tokenSecret('second'), 'first');
      const now = await store.now();
      assert.ok(Math.abs(now - Date.now()) < 60_000, `store clock ${now}`);
    });

    it('"seen" rows merge into the device; a late batch never overwrites newer facts', async () => {
      const id = 'a0:00:00:00:00:01';
      await store.write({ seen: [seen(id, T0 + 100, { version: '2.0.0' }, 3)], events: [] });
      await store.write({ seen: [seen(id, T0, { version: '1.9.0', address: '10.0.0.9' }, 2)], events: [] });
      await store.write({
        seen: [
          {
            device: id,
            firstAt: T0 + 200,
            lastAt: T0 + 200,
            checks: 0,
            check: null,
            voice: { online: true, at: T0 + 200 },
          },
        ],
        events: [],
      });
      const found = await store.device(id);
      assert.ok(found !== null);
      assert.equal(found.record.version, '2.0.0');
      assert.equal(found.record.lastAddress, '192.168.1.20');
      assert.equal(found.record.checks, 5);
      assert.equal(found.record.firstSeen, T0);
      assert.equal(found.record.lastSeen, T0 + 100);
      assert.equal(found.record.voiceOnline, true);
      assert.equal(found.record.voiceLastSeen, T0 + 200);
      assert.deepEqual(found.record.slotBytes, { ota0: 4_063_232, ota1: 4_063_232 });
      assert.deepEqual(found.record.lastExchange, { upstream: 200 });
      assert.deepEqual(found.attempts, []);
    });

    it('events are folded once: the settle claims a device for a cutoff, and a second claim gets nothing', async () => {
      const id = 'a0:00:00:00:00:02';
      const events = [
        checkEvent(T0, '1.9.0', { device: id, offer: OFFER }),
        downloadEvent(T0 + 1000, 'started', { device: id, replica: 'r2' }),
        downloadEvent(T0 + 50_000, 'completed', { device: id, replica: 'r2' }),
        checkEvent(T0 + 50_300, '1.9.0', { device: id, replica: 'r3' }),
      ];
      const batch: Batch = { seen: [seen(id, T0)], events };
      await store.write(batch);
      // A re-sent batch (the first write's answer was lost) inserts nothing twice.
      await store.write({ seen: [], events });
      const snapshot = await store.snapshot();
      assert.deepEqual(
        snapshot.events.filter((e) => e.device === id).map((e) => e.id),
        events.map((e) => e.id).sort(),
      );
      const [first, second] = await Promise.all([
        settle(store, [id], T0 + MINUTE),
        settle(store, [id], T0 + MINUTE),
      ]);
      const endings = [...first.endings, ...second.endings];
      assert.equal(endings.length, 1);
      assert.equal(endings[0]?.attempt.state, 'failed');
      assert.equal(endings[0]?.attempt.reason, 'rejected-or-rolled-back');
      const found = await store.device(id);
      assert.equal(found?.attempts.length, 1);
      assert.equal(found?.attempts[0]?.downloadBy, 'r2');
      assert.equal(found?.attempts[0]?.endedBy, 'r3');
      assert.equal(found?.attempts[0]?.offeredBy, 'r1');
      assert.equal(found?.record.attemptState, 'failed');
      assert.deepEqual(
        found?.record.entries.map((e) => [e.entryId, e.failures, e.lastReason]),
        [[OFFER.entryId, 1, 'rejected-or-rolled-back']],
      );
      const after = await store.snapshot();
      assert.deepEqual(
        after.events.filter((e) => e.device === id),
        [],
      );
      assert.deepEqual(
        after.records.filter((r) => r.device === id).map((r) => r.failures),
        [1],
      );
    });

    it('two offers to one device in one millisecond, from two replicas: both attempts are kept', async () => {
      const id = 'a0:00:00:00:00:0b';
      await store.write({
        seen: [seen(id, T0)],
        events: [
          checkEvent(T0, '1.9.0', { device: id, offer: OFFER, replica: 'r1' }),
          checkEvent(T0, '1.9.0', { device: id, offer: OFFER, replica: 'r2' }),
        ],
      });
      await settle(store, [id], T0 + 10);
      const found = await store.device(id);
      assert.deepEqual(
        found?.attempts.map((a) => [a.number, a.state, a.reason]),
        [
          [2, 'offered', null],
          [1, 'failed', 'not-downloaded'],
        ],
      );
    });

    it('at most one open attempt per device, enforced by the store (the transaction changes nothing)', async () => {
      const id = 'a0:00:00:00:00:03';
      await store.write({
        seen: [seen(id, T0)],
        events: [checkEvent(T0, '1.9.0', { device: id, offer: OFFER })],
      });
      await assert.rejects(
        store.settle([id], T0 + 10, (input) => {
          const out = settleDevices({ ...input, cutoff: T0 + 10, replica: 'x', settings: SETTINGS });
          const open = out.open[0];
          assert.ok(open !== undefined);
          return { ...out, open: [open, { ...open, id: `${id}@other` }] };
        }),
      );
      const found = await store.device(id);
      assert.deepEqual(found?.attempts, []);
      // Unclaimed: the next settle folds it.
      const out = await settle(store, [id], T0 + 10);
      assert.equal(out.open.length, 1);
      const { attempts } = await store.snapshot();
      assert.equal(attempts.kind === 'open' && attempts.open.filter((a) => a.device === id).length, 1);
    });

    it('an incremental snapshot lists the attempts settles wrote since a time, open and ended', async () => {
      const id = 'a0:00:00:00:00:0c';
      const other = 'a0:00:00:00:00:0d';
      await store.write({
        seen: [seen(id, T0), seen(other, T0)],
        events: [
          checkEvent(T0, '1.9.0', { device: id, offer: OFFER }),
          checkEvent(T0, '1.9.0', { device: other, offer: OFFER }),
        ],
      });
      await settle(store, [id, other], T0 + 10);
      // Change times are the store's clock in ms: step past the first settle's millisecond.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const since = await store.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Later, only `id` re-checks from the same version: its attempt fails and a new one is offered.
      await store.write({
        seen: [seen(id, T0 + 20)],
        events: [checkEvent(T0 + 20, '1.9.0', { device: id, offer: OFFER })],
      });
      await settle(store, [id], T0 + 30);
      const { attempts } = await store.snapshot(since);
      assert.equal(attempts.kind, 'changed');
      const changed = attempts.kind === 'changed' ? attempts.changed : [];
      assert.deepEqual(changed.map((a) => [a.device, a.number, a.state]).sort(), [
        [id, 1, 'failed'],
        [id, 2, 'offered'],
      ]);
      // The full read still has every open attempt.
      const full = (await store.snapshot()).attempts;
      assert.deepEqual(
        full.kind === 'open' ? full.open.filter((a) => a.device === id || a.device === other).length : null,
        2,
      );
    });

    it('replica watermarks: recorded, never moved back, forgotten', async () => {
      await store.markWritten('wm-a', T0 + 500);
      await store.markWritten('wm-a', T0 + 400);
      await store.markWritten('wm-b', T0 + 100);
      const marks = (await store.snapshot()).replicas.filter((r) => r.id.startsWith('wm-'));
      assert.deepEqual(marks.map((r) => [r.id, r.writtenTo]).sort(), [
        ['wm-a', T0 + 500],
        ['wm-b', T0 + 100],
      ]);
      const now = await store.now();
      for (const mark of marks) assert.ok(Math.abs(mark.seenAt - now) < 60_000, 'seen on the store clock');
      await store.forgetReplica('wm-b');
      assert.deepEqual(
        (await store.snapshot()).replicas.filter((r) => r.id.startsWith('wm-')).map((r) => r.id),
        ['wm-a'],
      );
    });

    it('halt and resume: once each, and a resume starts a new window', async () => {
      const entry = { entryId: 'abcabcabcabc', board: 'b', version: '3.0.0' };
      const halt = { at: T0, by: 'operator' as const, reason: 'by hand', failed: 0, installed: 0 };
      assert.equal(await store.halt(entry, halt), true);
      assert.equal(await store.halt(entry, { ...halt, at: T0 + 1 }), false);
      const halted = (await store.rollouts()).find((r) => r.entryId === entry.entryId);
      assert.deepEqual(halted?.halt, halt);
      assert.equal(await store.resume(entry.entryId, T0 + 500), true);
      assert.equal(await store.resume(entry.entryId, T0 + 600), false);
      const resumed = (await store.rollouts()).find((r) => r.entryId === entry.entryId);
      assert.equal(resumed?.halt, null);
      assert.equal(resumed?.windowStart, T0 + 500);
    });

    it('three failures block; the listing filters blocked devices; an unblock clears and restarts the count', async () => {
      const id = 'a0:00:00:00:00:04';
      for (let i = 0; i < 3; i++) {
        const at = T0 + i * 10 * MINUTE;
        await store.write({
          seen: [seen(id, at)],
          events: [
            checkEvent(at, '1.9.0', { device: id, offer: OFFER }),
            checkEvent(at + MINUTE, '1.9.0', { device: id }),
          ],
        });
        const out = await settle(store, [id], at + 2 * MINUTE);
        assert.equal(out.endings[0]?.blocked, i === 2);
      }
      const blocked = await store.listDevices({ ...BASE, sort: 'id', blocked: true });
      assert.deepEqual(
        blocked.items.map((d) => d.id),
        [id],
      );
      assert.deepEqual(
        blocked.items[0]?.entries.map((e) => [e.failures, e.attempts, e.lastReason]),
        [[3, 3, 'not-downloaded']],
      );
      const cleared = await store.unblock(id, null);
      assert.deepEqual(
        cleared.map((r) => r.entryId),
        [OFFER.entryId],
      );
      assert.equal((await store.listDevices({ ...BASE, sort: 'id', blocked: true })).total, 0);
      // The next attempt is number 1 again.
      await store.write({
        seen: [],
        events: [checkEvent(T0 + HOUR_MS, '1.9.0', { device: id, offer: OFFER })],
      });
      const out = await settle(store, [id], T0 + HOUR_MS + 1);
      assert.equal(out.open[0]?.number, 1);
    });

    it('audit: appended and listed newest first, paged by seq', async () => {
      for (const action of ['rollout.halt', 'rollout.resume', 'device.unblock'])
        await store.appendAudit({
          at: T0,
          action,
          target: 't',
          means: 'cli',
          address: null,
          detail: { n: action },
        });
      const all = await store.audit(10, null);
      const ours = all.filter((e) => e.target === 't');
      assert.deepEqual(
        ours.map((e) => e.action),
        ['device.unblock', 'rollout.resume', 'rollout.halt'],
      );
      assert.deepEqual(ours[0]?.detail, { n: 'device.unblock' });
      const older = await store.audit(10, ours[0]?.seq ?? 0);
      assert.deepEqual(
        older.filter((e) => e.target === 't').map((e) => e.action),
        ['rollout.resume', 'rollout.halt'],
      );
    });

    it('the devices listing: filters, sorts and cursors page through exactly the matching devices', async () => {
      const boards = ['alpha', 'beta', 'gamma'];
      const rows: SeenUpdate[] = [];
      for (let i = 0; i < 40; i++) {
        const id = `b0:00:00:00:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}`;
        rows.push(
          seen(id, T0 + ((i * 7919) % 40) * 1000, {
            board: boards[i % 3] ?? null,
            version: `1.${i % 4}.0`,
            chip: i % 2 === 0 ? 'esp32s3' : 'esp32c3',
            address: `10.1.${i % 5}.${i}`,
          }),
        );
      }
      await store.write({ seen: rows, events: [] });
      const ours = rows.map((r) => ({ id: r.device, lastSeen: r.lastAt, ...r.check! }));
      const cases: { query: Partial<DeviceQuery>; keep: (d: (typeof ours)[number]) => boolean }[] = [
        { query: {}, keep: () => true },
        { query: { board: 'beta' }, keep: (d) => d.board === 'beta' },
        { query: { version: '1.2.0' }, keep: (d) => d.version === '1.2.0' },
        {
          query: { chip: 'esp32c3', board: 'alpha' },
          keep: (d) => d.chip === 'esp32c3' && d.board === 'alpha',
        },
        { query: { q: 'B0-00-00-00-01' }, keep: (d) => d.id.startsWith('b0:00:00:00:01') },
        { query: { q: 'b000000000' }, keep: (d) => d.id.startsWith('b0:00:00:00:00') },
        { query: { q: '10.1.3.' }, keep: (d) => d.address.startsWith('10.1.3.') },
        { query: { seenSince: T0 + 30_000 }, keep: (d) => d.lastSeen >= T0 + 30_000 },
      ];
      const orders = {
        last_seen: (a: (typeof ours)[number], b: (typeof ours)[number]) =>
          b.lastSeen - a.lastSeen || (a.id < b.id ? 1 : -1),
        id: (a: (typeof ours)[number], b: (typeof ours)[number]) => (a.id < b.id ? -1 : 1),
        version: (a: (typeof ours)[number], b: (typeof ours)[number]) =>
          (a.version ?? '') < (b.version ?? '')
            ? -1
            : (a.version ?? '') > (b.version ?? '')
              ? 1
              : a.id < b.id
                ? -1
                : 1,
      };
      for (const { query, keep } of cases) {
        for (const sort of ['last_seen', 'id', 'version'] as const) {
          const expected = ours
            .filter(keep)
            .sort(orders[sort])
            .map((d) => d.id);
          const got: string[] = [];
          let cursor: string | null = null;
          let total = -1;
          for (let pages = 0; pages < 20; pages++) {
            // Only our devices: other tests' rows are outside the b0: prefix, so add it unless q filters.
            const page = await store.listDevices({ ...BASE, q: 'b0:', ...query, sort, limit: 7, cursor });
            total = page.total;
            got.push(...page.items.map((d) => d.id));
            cursor = page.next;
            if (cursor === null) break;
          }
          assert.deepEqual(got, expected, `${JSON.stringify(query)} sorted by ${sort}`);
          assert.equal(total, expected.length);
        }
      }
      // state: of the open or last attempt.
      const id = rows[0]!.device;
      await store.write({
        seen: [],
        events: [checkEvent(T0 + 2 * HOUR_MS, '1.0.0', { device: id, offer: OFFER })],
      });
      await settle(store, [id], T0 + 2 * HOUR_MS + 1);
      const offered = await store.listDevices({ ...BASE, sort: 'id', state: 'offered', q: 'b0:' });
      assert.deepEqual(
        offered.items.map((d) => d.id),
        [id],
      );
      // A cursor from another sort is not ours: it starts from the beginning.
      const first = await store.listDevices({ ...BASE, sort: 'id', q: 'b0:', limit: 3 });
      const other = await store.listDevices({
        ...BASE,
        sort: 'version',
        q: 'b0:',
        limit: 3,
        cursor: first.next,
      });
      const fresh = await store.listDevices({ ...BASE, sort: 'version', q: 'b0:', limit: 3 });
      assert.deepEqual(
        other.items.map((d) => d.id),
        fresh.items.map((d) => d.id),
      );
    });

    it('retention: devices not seen and ended attempts older than the bound go; then the oldest beyond max_devices', async () => {
      const old = 'c0:00:00:00:00:01';
      const kept = 'c0:00:00:00:00:02';
      await store.write({
        seen: [seen(old, T0 - 400 * 86_400_000), seen(kept, T0)],
        events: [checkEvent(T0 - 400 * 86_400_000, '1.9.0', { device: old, offer: OFFER })],
      });
      await settle(store, [old], T0 - 399 * 86_400_000);
      const before = (await store.listDevices({ ...BASE, sort: 'id' })).total;
      const done = await store.retain(T0 - 365 * 86_400_000, 1_000_000);
      assert.equal(done.devices, 1);
      assert.equal(await store.device(old), null);
      assert.notEqual(await store.device(kept), null);
      assert.equal((await store.listDevices({ ...BASE, sort: 'id' })).total, before - 1);
      // max_devices: keep the 5 seen most recently.
      const page = await store.listDevices({ ...BASE, sort: 'last_seen', limit: 5 });
      const beyond = await store.retain(0, 5);
      assert.equal(beyond.devices, before - 1 - 5);
      const left = await store.listDevices({ ...BASE, sort: 'last_seen' });
      assert.deepEqual(
        left.items.map((d) => d.id),
        page.items.map((d) => d.id),
      );
    });

    it('a store with a newer schema is reported, not touched (memory: nothing else can write it)', async () => {
      const newer = opened.sibling({
        migrations: [
          ...MIGRATIONS,
          {
            version: KNOWN_VERSION + 1,
            name: 'next',
            up: async (db) =>
              void (await db.schema.createTable('next_release').addColumn('x', 'integer').execute()),
          },
        ],
      });
      if (newer === null) return;
      assert.deepEqual(await newer.migrate(), { kind: 'current', version: KNOWN_VERSION + 1 });
      await newer.close();
      assert.deepEqual(await store.schemaStatus(), {
        kind: 'newer',
        found: KNOWN_VERSION + 1,
        known: KNOWN_VERSION,
      });
      assert.deepEqual(await store.migrate(), {
        kind: 'newer',
        found: KNOWN_VERSION + 1,
        known: KNOWN_VERSION,
      });
    });
  });
}

const HOUR_MS = 60 * MINUTE;
