/**
 * `POST /admin/api/firmware` over a real socket: a dry run shows what would be added and writes nothing;
 * an upload (raw or multipart) writes the image and appends the entry with every comment kept, the catalog
 * reloads and the next device of that board is offered it; each refusal (not an app image, a merged image,
 * bad values, an existing board+version or file, too large) changes no byte; concurrent uploads never
 * interleave (exactly one of two identical ones wins).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideOffer } from '../../src/firmware/select.js';
import { parseCatalog } from '../../src/firmware/catalog-parse.js';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';
import { api, catalogText, device, fleetOf, folderBytes, startFleetProxy } from '../helpers/fleet-api.js';
import type { Harness } from '../helpers/proxy-harness.js';

const IMAGE = buildAppImage({ version: '2.0.4', chipId: 9, size: 8192, seed: 3 });

describe('firmware upload through the API', () => {
  let h: Harness;
  before(async () => {
    h = await startFleetProxy('data/fleet.db');
  });
  after(() => h.close());

  test('?dry_run=true answers what would be added (version and chip from the image) and writes nothing', async () => {
    const bytes = folderBytes(h);
    const reply = await api(h, 'POST', '/firmware?board=bread-compact-wifi*&rollout=10&dry_run=true', {
      body: IMAGE,
      type: 'application/octet-stream',
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.dry_run, true);
    const entry = reply.body.entry as Record<string, unknown>;
    assert.equal(entry.version, '2.0.4');
    assert.equal(entry.chip, 'esp32s3');
    assert.equal(entry.file, 'bread-compact-wifi_-2.0.4.bin');
    assert.equal(entry.rollout, 10);
    assert.equal(entry.size, IMAGE.length);
    assert.deepEqual(folderBytes(h), bytes);
  });

  test('a raw upload writes the image, appends the entry keeping every comment, and the next device is offered it', async () => {
    const before = catalogText(h);
    const reply = await api(h, 'POST', '/firmware?board=bread-compact-wifi*&min_version=1.5.0', {
      body: IMAGE,
      type: 'application/octet-stream',
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const entry = reply.body.entry as { file: string; entry_id: string; min_version: string };
    assert.deepEqual(readFileSync(join(h.dir, 'firmware', entry.file)), IMAGE);
    const after = catalogText(h);
    assert.ok(after.startsWith(before), `the old text is kept byte for byte:\n${after}`);
    assert.equal(
      after.slice(before.length),
      `- board: bread-compact-wifi*\n  version: "2.0.4"\n  file: bread-compact-wifi_-2.0.4.bin\n  min_version: "1.5.0"\n`,
    );

    const catalog = h.proxy.catalogStore()?.current();
    assert.ok(catalog);
    const offer = decideOffer({
      catalog,
      device: device('aa:bb:cc:00:01:01', { version: '1.7.0' }),
      origin: { scheme: 'http', host: '10.0.0.1', port: 8003 },
      publicUrl: 'auto',
    });
    assert.equal(offer.kind, 'offer');
    assert.equal(offer.kind === 'offer' ? offer.version : null, '2.0.4');

    const listed = await api(h, 'GET', '/catalog');
    const shown = (listed.body.entries as { entry_id: string; check: string }[]).find(
      (e) => e.entry_id === entry.entry_id,
    );
    assert.equal(shown?.check, 'ok');
    const audit = await api(h, 'GET', '/audit');
    const record = (
      audit.body.items as { action: string; target: string; means: string; detail: { file: string } }[]
    )[0];
    assert.equal(record?.action, 'firmware.upload');
    assert.equal(record?.target, entry.entry_id);
    assert.equal(record?.means, 'api');
    assert.equal(record?.detail.file, 'bread-compact-wifi_-2.0.4.bin');
    assert.ok(fleetOf(h));
  });

  test('a multipart upload (a browser form) works the same', async () => {
    const form = new FormData();
    form.set('image', new Blob([buildAppImage({ version: '1.2.0', chipId: 5 })]), 'xiaozhi.bin');
    form.set('board', 'esp32c3-board');
    form.set('rollout', '50');
    form.set('devices', 'aa:bb:cc:00:00:01, aa:bb:cc:00:00:02');
    const reply = await api(h, 'POST', '/firmware', { body: form });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const entry = reply.body.entry as Record<string, unknown>;
    assert.equal(entry.chip, 'esp32c3');
    assert.equal(entry.rollout, 50);
    assert.deepEqual(entry.devices, ['aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:02']);
    assert.match(catalogText(h), /devices: \[ aa:bb:cc:00:00:01, aa:bb:cc:00:00:02 \]/);
  });

  test('every refusal says why and changes no byte of the folder', async () => {
    writeFileSync(join(h.dir, 'firmware', 'stray-3.0.0.bin'), 'someone else’s file');
    const bytes = folderBytes(h);
    const cases: [string, Uint8Array, number, string, RegExp][] = [
      ['board=x', buildMergedImage({ version: '3.0.0' }), 422, 'image', /merged flash image/],
      ['board=x', Buffer.from('not firmware at all'), 422, 'image', /not an ESP32 application image/],
      ['board=x', buildAppImage({ version: 'v3' }), 422, 'image', /cannot compare/],
      ['board=x', Buffer.alloc(0), 400, 'image', /empty/],
      ['rollout=5', IMAGE, 400, 'board', /board/],
      ['board=x&rollout=150', IMAGE, 422, 'rollout', /rollout/],
      ['board=x&rollout=lots', IMAGE, 400, 'rollout', /rollout/],
      ['board=x&devices=nope', IMAGE, 422, 'devices', /MAC/],
      ['board=x&min_version=new', IMAGE, 422, 'min_version', /min_version/],
      ['board=x&force=perhaps', IMAGE, 400, 'force', /force/],
      ['board=x&colour=red', IMAGE, 400, 'colour', /unknown parameter/],
      ['board=BREAD-compact-wifi*', IMAGE, 409, '', /already offers/],
      ['board=stray', buildAppImage({ version: '3.0.0' }), 409, '', /already exists/],
    ];
    for (const [query, body, status, field, why] of cases) {
      const reply = await api(h, 'POST', `/firmware?${query}`, { body, type: 'application/octet-stream' });
      assert.equal(reply.status, status, `${query}: ${JSON.stringify(reply.body)}`);
      if (field !== '') assert.equal(reply.body.field, field, query);
      assert.match(String(reply.body.error), why, query);
      assert.deepEqual(folderBytes(h), bytes, `${query} changed nothing`);
    }
  });

  test('an upload over the size bound is a 413 and writes nothing', async () => {
    const bytes = folderBytes(h);
    const reply = await api(h, 'POST', '/firmware?board=huge', {
      body: Buffer.alloc(33 * 1024 * 1024, 0xe9),
      type: 'application/octet-stream',
    });
    assert.equal(reply.status, 413);
    assert.deepEqual(folderBytes(h), bytes);
  });

  test('concurrent uploads take turns: all distinct ones land, one of two identical ones wins', async () => {
    const boards = ['conc-a', 'conc-b', 'conc-c', 'conc-d', 'conc-e'];
    const replies = await Promise.all([
      ...boards.map((board, i) =>
        api(h, 'POST', `/firmware?board=${board}`, {
          body: buildAppImage({ version: `4.0.${i}`, seed: i }),
          type: 'application/octet-stream',
        }),
      ),
      ...[1, 2].map((seed) =>
        api(h, 'POST', '/firmware?board=twin', {
          body: buildAppImage({ version: '5.0.0', seed }),
          type: 'application/octet-stream',
        }),
      ),
    ]);
    assert.deepEqual(
      replies.slice(0, 5).map((r) => r.status),
      [201, 201, 201, 201, 201],
    );
    assert.deepEqual(
      replies
        .slice(5)
        .map((r) => r.status)
        .sort(),
      [201, 409],
    );
    const parsed = parseCatalog(catalogText(h), { file: 'catalog.yaml', env: {} });
    assert.equal(parsed.kind, 'parsed');
    const boardsIn = parsed.kind === 'parsed' ? parsed.entries.map((e) => e.board) : [];
    for (const board of [...boards, 'twin'])
      assert.equal(boardsIn.filter((b) => b === board).length, 1, board);
    assert.equal(h.proxy.catalogStore()?.status().skipped.entries, 1, 'only the entry with the missing file');
    const leftovers = readdirSync(join(h.dir, 'firmware')).filter((n) => n.startsWith('.'));
    assert.deepEqual(leftovers, [], 'no lock or temporary file is left behind');
    assert.equal(existsSync(join(h.dir, 'firmware', 'twin-5.0.0.bin')), true);
  });
});
