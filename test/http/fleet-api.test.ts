/**
 * The fleet API over a real socket on each store (memory, SQLite, PostgreSQL): 401 without the token, the
 * inventory with its filters, paging and 400s naming the parameter, a device and its 404, unblock, the
 * rollouts with halt and resume (409 when there is nothing to do), the catalog with its checks, PATCH,
 * and the audit trail naming the API and the caller's address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPostgresDatabase, type TestDatabase } from '../helpers/fleet-stores.js';
import { api, catalogText, device, folderBytes, json, seen, startFleetProxy } from '../helpers/fleet-api.js';
import type { Harness } from '../helpers/proxy-harness.js';
import { entryId } from '../../src/fleet/entry-id.js';

const BREAD = entryId('bread-compact-wifi', '1.7.0');
const A = 'aa:bb:cc:00:00:01';
const B = 'aa:bb:cc:00:00:02';
const C = 'aa:bb:cc:00:00:03';

const kinds: { name: string; store: () => Promise<{ yaml: string; drop?: () => Promise<void> } | string> }[] =
  [
    { name: 'memory', store: async () => ({ yaml: 'memory' }) },
    { name: 'sqlite', store: async () => ({ yaml: 'data/fleet.db' }) },
    {
      name: 'postgres',
      store: async () => {
        const db: TestDatabase | string = await createPostgresDatabase();
        return typeof db === 'string' ? db : { yaml: db.url, drop: () => db.drop() };
      },
    },
  ];

for (const kind of kinds) {
  describe(`fleet API on ${kind.name}`, () => {
    let h: Harness;
    let skip: string | null = null;
    let drop: (() => Promise<void>) | undefined;

    before(async () => {
      const store = await kind.store();
      if (typeof store === 'string') {
        skip = store;
        return;
      }
      drop = store.drop;
      h = await startFleetProxy(store.yaml);
      await seen(h, [
        device(A, { version: '1.6.0' }),
        device(B, { version: '1.7.0', chip: 'esp32c3', build: 'bread-compact-wifi' }),
        device(C, { version: '1.5.0', build: 'lichuang-dev', boardType: 'lichuang-dev' }),
      ]);
    });
    after(async () => {
      await h?.close();
      await drop?.();
    });

    const it = (name: string, fn: () => Promise<void>) =>
      test(name, async (t) => {
        if (skip !== null) return t.skip(skip);
        await fn();
      });

    it('401 without the token, 401 with a wrong one, on every endpoint', async () => {
      for (const [method, path] of [
        ['GET', '/devices'],
        ['GET', `/devices/${A}`],
        ['POST', `/devices/${A}/unblock`],
        ['GET', '/rollouts'],
        ['POST', `/rollouts/${BREAD}/halt`],
        ['POST', `/rollouts/${BREAD}/resume`],
        ['GET', '/catalog'],
        ['PATCH', `/catalog/${BREAD}`],
        ['POST', '/firmware'],
        ['GET', '/audit'],
      ] as const) {
        assert.equal((await api(h, method, path, { token: null })).status, 401, `${method} ${path}`);
        assert.equal((await api(h, method, path, { token: 'nope' })).status, 401, `${method} ${path}`);
      }
    });

    it('GET /devices lists every device seen, newest first, with filters', async () => {
      const all = await api(h, 'GET', '/devices');
      assert.equal(all.status, 200);
      assert.equal(all.body.total, 3);
      const items = all.body.items as { id: string; version: string; chip: string; board: string }[];
      assert.deepEqual(items.map((d) => d.id).sort(), [A, B, C]);
      assert.equal(all.body.next, null);

      const byVersion = await api(h, 'GET', '/devices?version=1.7.0');
      assert.deepEqual(
        (byVersion.body.items as { id: string }[]).map((d) => d.id),
        [B],
      );
      const byChip = await api(h, 'GET', '/devices?chip=esp32c3');
      assert.deepEqual(
        (byChip.body.items as { id: string }[]).map((d) => d.id),
        [B],
      );
      const byBoard = await api(h, 'GET', '/devices?board=lichuang-dev');
      assert.deepEqual(
        (byBoard.body.items as { id: string }[]).map((d) => d.id),
        [C],
      );
      const byPrefix = await api(h, 'GET', '/devices?q=aa:bb:cc:00:00:0&sort=id');
      assert.deepEqual(
        (byPrefix.body.items as { id: string }[]).map((d) => d.id),
        [A, B, C],
      );
      const recent = await api(h, 'GET', '/devices?seen_within=3600');
      assert.equal(recent.body.total, 3);
    });

    it('GET /devices pages with an opaque cursor until next is null', async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 5; pages++) {
        const page: { status: number; body: Record<string, unknown> } = await api(
          h,
          'GET',
          `/devices?sort=id&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        );
        assert.equal(page.status, 200);
        assert.equal(page.body.total, 3);
        ids.push(...(page.body.items as { id: string }[]).map((d) => d.id));
        cursor = page.body.next as string | null;
        if (cursor === null) break;
      }
      assert.deepEqual(ids, [A, B, C]);
    });

    it('GET /devices: a parameter that cannot be used is a 400 naming it', async () => {
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=501', 'limit'],
        ['limit=ten', 'limit'],
        ['sort=name', 'sort'],
        ['state=broken', 'state'],
        ['blocked=maybe', 'blocked'],
        ['seen_within=-5', 'seen_within'],
        ['cursor=not-a-cursor', 'cursor'],
        ['bored=1', 'bored'],
      ] as const) {
        const reply = await api(h, 'GET', `/devices?${query}`);
        assert.equal(reply.status, 400, query);
        assert.equal(reply.body.code, 'BAD_REQUEST', query);
        assert.equal(reply.body.field, field, query);
        assert.match(String(reply.body.error), new RegExp(field), query);
      }
    });

    it('GET /devices/{id}: the record and its attempts; any MAC spelling; 404 unknown; 400 not a MAC', async () => {
      const one = await api(h, 'GET', `/devices/${A.toUpperCase().replaceAll(':', '-')}`);
      assert.equal(one.status, 200);
      assert.equal((one.body.device as { id: string }).id, A);
      assert.ok(Array.isArray(one.body.attempts));
      const unknown = await api(h, 'GET', '/devices/aa:bb:cc:ff:ff:ff');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'NOT_FOUND');
      const bad = await api(h, 'GET', '/devices/not-a-mac');
      assert.equal(bad.status, 400);
    });

    it('POST /devices/{id}/unblock: restarts every count, 404 for an unknown device or a block it does not have', async () => {
      const none = await api(h, 'POST', `/devices/${A}/unblock`, json({ entry_id: BREAD }));
      assert.equal(none.status, 404);
      assert.match(String(none.body.error), /not blocked/);
      // A was offered bread 1.7.0 (one attempt, no failure): its record with the entry starts again.
      const all = await api(h, 'POST', `/devices/${A}/unblock`);
      assert.equal(all.status, 200);
      assert.deepEqual(all.body, { device: A, cleared: [BREAD] });
      const unknown = await api(h, 'POST', '/devices/aa:bb:cc:ff:ff:ff/unblock');
      assert.equal(unknown.status, 404);
      const badBody = await api(h, 'POST', `/devices/${A}/unblock`, {
        body: '{nope',
        type: 'application/json',
      });
      assert.equal(badBody.status, 400);
      assert.equal(badBody.body.field, 'body');
    });

    it('GET /catalog: entries with entry_id and their check; a skipped one says why', async () => {
      const reply = await api(h, 'GET', '/catalog');
      assert.equal(reply.status, 200);
      const entries = reply.body.entries as Record<string, unknown>[];
      assert.equal(entries.length, 2);
      assert.equal(entries[0]?.entry_id, BREAD);
      assert.equal(entries[0]?.check, 'ok');
      assert.equal(entries[0]?.chip, 'esp32s3');
      assert.equal(entries[1]?.entry_id, entryId('lost-board', '1.0.0'));
      assert.equal(entries[1]?.check, 'skipped');
      assert.match(String((entries[1]?.problems as string[])[0]), /missing\.bin does not exist/);
    });

    it('GET /rollouts, then halt and resume by entry_id; 409 when there is nothing to do; 404 unknown', async () => {
      const before = await api(h, 'GET', '/rollouts');
      assert.equal(before.status, 200);
      const bread = (before.body.items as Record<string, unknown>[]).find((r) => r.entry_id === BREAD);
      assert.ok(bread);
      assert.equal(bread.halted, null);
      assert.deepEqual(bread.failed, { total: 0 });
      // A runs bread-compact-wifi on an esp32s3 like the image; B's chip is an esp32c3; C is another board.
      assert.equal(bread.eligible, 1);
      assert.equal(bread.offered, 1);

      const halted = await api(h, 'POST', `/rollouts/${BREAD}/halt`, json({ reason: 'bad batch' }));
      assert.equal(halted.status, 200);
      assert.equal((halted.body.halted as { reason: string; by: string }).reason, 'bad batch');
      assert.equal((halted.body.halted as { by: string }).by, 'operator');
      assert.equal((await api(h, 'POST', `/rollouts/${BREAD}/halt`)).status, 409);

      const resumed = await api(h, 'POST', `/rollouts/${BREAD}/resume`);
      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.halted, null);
      const again = await api(h, 'POST', `/rollouts/${BREAD}/resume`);
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'CONFLICT');

      assert.equal((await api(h, 'POST', '/rollouts/000000000000/halt')).status, 404);
      assert.equal((await api(h, 'POST', '/rollouts/not-an-id/halt')).status, 400);
    });

    it('PATCH /catalog/{entry_id}: changes the entry, keeps every comment, reloads; refusals change nothing', async () => {
      const changed = await api(h, 'PATCH', `/catalog/${BREAD}`, json({ rollout: 25, exclude: [C] }));
      assert.equal(changed.status, 200);
      assert.equal(changed.body.rollout, 25);
      assert.deepEqual(changed.body.exclude, [C]);
      const text = catalogText(h);
      for (const comment of [
        '# Our firmware — edited by hand and by the proxy.',
        '# Keep this header.',
        '# the breadboard build',
        '# everyone',
        '# An entry whose image is missing: skipped at load.',
      ])
        assert.ok(text.includes(comment), `kept: ${comment}\n${text}`);
      assert.match(text, /rollout: 25 # everyone/);
      assert.equal(h.proxy.catalogStore()?.current()?.entries[0]?.rollout, 25);

      const bytes = folderBytes(h);
      for (const [body, status, field] of [
        [{ rollout: 101 }, 422, 'rollout'],
        [{ rollout: 'half' }, 422, 'rollout'],
        [{ devices: ['not-a-mac'] }, 422, 'devices'],
        [{ min_version: 'v2' }, 422, 'min_version'],
        [{ board: 'other' }, 400, 'board'],
        [{}, 400, 'body'],
      ] as const) {
        const reply = await api(h, 'PATCH', `/catalog/${BREAD}`, json(body));
        assert.equal(reply.status, status, JSON.stringify(body));
        assert.equal(reply.body.field, field, JSON.stringify(body));
      }
      assert.equal((await api(h, 'PATCH', '/catalog/000000000000', json({ rollout: 1 }))).status, 404);
      assert.deepEqual(folderBytes(h), bytes, 'refused changes leave every file as it was');

      const restored = await api(h, 'PATCH', `/catalog/${BREAD}`, json({ rollout: null, exclude: null }));
      assert.equal(restored.status, 200);
      assert.equal(restored.body.rollout, 100);
    });

    it('GET /audit: every change, newest first, by the API from the caller’s address', async () => {
      const reply = await api(h, 'GET', '/audit?limit=50');
      assert.equal(reply.status, 200);
      const items = reply.body.items as { action: string; target: string; means: string; address: string }[];
      const actions = items.map((i) => i.action);
      for (const action of ['rollout.halt', 'rollout.resume', 'catalog.patch', 'device.unblock'])
        assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
      for (const item of items) {
        assert.equal(item.means, 'api');
        assert.equal(item.address, '127.0.0.1');
      }
      assert.equal(items.find((i) => i.action === 'catalog.patch')?.target, BREAD);
      assert.equal((await api(h, 'GET', '/audit?limit=0')).status, 400);
      assert.equal((await api(h, 'GET', '/audit?before=x')).status, 400);
    });
  });
}
