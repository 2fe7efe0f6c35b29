import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, open, realpath, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCatalogStore } from '../../src/runtime/catalog-store.js';
import type { CatalogStore } from '../../src/runtime/catalog-store.js';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';
import { captureLogger } from '../helpers/firmware-server.js';
import type { LogLine } from '../helpers/firmware-server.js';

const entry = (file: string, version: string, extra = ''): string =>
  `- board: bread-compact-wifi\n  version: "${version}"\n  file: ${file}\n${extra}`;

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('catalog store: load, reload, watch', () => {
  let dir: string;
  let lines: LogLine[];
  let store: CatalogStore;

  function makeStore(): CatalogStore {
    const captured = captureLogger();
    lines = captured.lines;
    store = createCatalogStore({
      dir,
      env: { IMAGE: 'xiaozhi.bin' },
      logger: captured.logger,
      pollMs: 50,
      debounceMs: 20,
    });
    return store;
  }

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'xz-catalog-')));
  });
  afterEach(async () => {
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing catalog.yaml fails the first load (a start-up error)', async () => {
    const result = await makeStore().load();
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.issues.map((i) => i.path),
      ['catalog'],
    );
    assert.equal(store.current(), null);
  });

  test('an unparsable catalog.yaml fails the first load', async () => {
    await writeFile(join(dir, 'catalog.yaml'), '- board: [\n');
    const result = await makeStore().load();
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.issues.map((i) => [i.path, i.line, i.col]),
      [['catalog', 2, 1]],
    );
    assert.equal(store.current(), null);
  });

  test('an empty catalog.yaml is an empty catalog', async () => {
    await writeFile(join(dir, 'catalog.yaml'), '');
    const result = await makeStore().load();
    assert.deepEqual(result, { ok: true, issues: [] });
    assert.deepEqual(store.current()?.entries, []);
  });

  test('valid entries load with size, sha256 and image facts; invalid ones are reported and skipped', async () => {
    const image = buildAppImage({ version: '2.0.4', size: 200_000 });
    await writeFile(join(dir, 'xiaozhi.bin'), image);
    await writeFile(join(dir, 'merged-binary.bin'), buildMergedImage({ version: '2.0.5' }));
    await writeFile(
      join(dir, 'catalog.yaml'),
      entry('${IMAGE}', '2.0.4') + entry('merged-binary.bin', '2.0.5') + entry('absent.bin', '2.0.6'),
    );
    const result = await makeStore().load();
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.issues.map((i) => i.path),
      ['catalog[1].file', 'catalog[2].file'],
    );
    const catalog = store.current();
    assert.ok(catalog);
    assert.equal(catalog.entries.length, 1);
    const [e] = catalog.entries;
    assert.equal(e?.size, image.length);
    assert.equal(e?.sha256, createHash('sha256').update(image).digest('hex'));
    assert.equal(e?.image.chip, 'esp32s3');
    assert.equal(e?.path, join(dir, 'xiaozhi.bin'));
    assert.equal(e?.mtimeMs, (await stat(join(dir, 'xiaozhi.bin'))).mtimeMs);
    assert.equal(lines.filter((l) => l.level === 40).length, 2);
    assert.ok(lines.some((l) => l.level === 30 && l.msg.startsWith('firmware catalog loaded')));
  });

  test('a symlink out of firmware.dir is refused; one inside it is followed', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'xz-outside-'));
    try {
      await writeFile(join(outside, 'evil.bin'), buildAppImage({ version: '2.0.4' }));
      await writeFile(join(dir, 'real.bin'), buildAppImage({ version: '2.0.5' }));
      await symlink(join(outside, 'evil.bin'), join(dir, 'evil.bin'));
      await symlink('real.bin', join(dir, 'alias.bin'));
      await writeFile(join(dir, 'catalog.yaml'), entry('evil.bin', '2.0.4') + entry('alias.bin', '2.0.5'));
      const result = await makeStore().load();
      assert.deepEqual(
        result.issues.map((i) => i.path),
        ['catalog[0].file'],
      );
      assert.equal(store.current()?.entries[0]?.path, join(dir, 'real.bin'));
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('reload swaps in a new catalog; a failed reload keeps the previous one', async () => {
    await writeFile(join(dir, 'a.bin'), buildAppImage({ version: '2.0.4' }));
    await writeFile(join(dir, 'b.bin'), buildAppImage({ version: '2.0.5' }));
    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4'));
    await makeStore().load();
    const first = store.current();
    assert.equal(first?.entries.length, 1);

    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4') + entry('b.bin', '2.0.5'));
    assert.equal((await store.reload()).ok, true);
    const second = store.current();
    assert.notEqual(second, first);
    assert.deepEqual(
      second?.entries.map((e) => e.file),
      ['a.bin', 'b.bin'],
    );
    assert.equal(first?.entries.length, 1, 'the previous catalog object is never mutated');

    await writeFile(join(dir, 'catalog.yaml'), '{ not: [valid\n');
    const failed = await store.reload();
    assert.equal(failed.ok, false);
    assert.equal(store.current(), second);
    assert.ok(lines.some((l) => l.level === 50 && l.msg.includes('keeping the previous catalog')));

    await rm(join(dir, 'catalog.yaml'));
    assert.equal((await store.reload()).ok, false);
    assert.equal(store.current(), second);
  });

  test('concurrent reloads all resolve and leave the latest state', async () => {
    await writeFile(join(dir, 'a.bin'), buildAppImage({ version: '2.0.4' }));
    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4'));
    await makeStore().load();
    const results = await Promise.all([store.reload(), store.reload(), store.reload()]);
    assert.deepEqual(results, [
      { ok: true, issues: [] },
      { ok: true, issues: [] },
      { ok: true, issues: [] },
    ]);
    assert.equal(store.current()?.entries.length, 1);
  });

  test('a hash is never reused for a file whose content changed, even with size and mtime kept', async () => {
    const path = join(dir, 'a.bin');
    const one = buildAppImage({ version: '2.0.4', size: 10_000, seed: 1 });
    const two = buildAppImage({ version: '2.0.4', size: 10_000, seed: 2 });
    await writeFile(path, one);
    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4'));
    await makeStore().load();
    const { mtime } = await stat(path);
    const handle = await open(path, 'r+');
    await handle.write(two, 0, two.length, 0);
    await handle.close();
    await utimes(path, mtime, mtime);
    await store.reload();
    assert.equal(store.current()?.entries[0]?.sha256, createHash('sha256').update(two).digest('hex'));
  });

  test('watch: a change of catalog.yaml or of an image reloads by itself', async () => {
    await writeFile(join(dir, 'a.bin'), buildAppImage({ version: '2.0.4' }));
    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4'));
    await makeStore().load();
    store.watch();

    // An editor saving through a temporary file and a rename.
    await writeFile(join(dir, 'catalog.yaml.tmp'), entry('a.bin', '2.0.4', '  rollout: 5\n'));
    await rename(join(dir, 'catalog.yaml.tmp'), join(dir, 'catalog.yaml'));
    await until(() => store.current()?.entries[0]?.rollout === 5);

    // The image replaced by one with another embedded version: the entry no longer matches and is skipped.
    await writeFile(join(dir, 'a.bin'), buildAppImage({ version: '2.0.9' }));
    await until(() => store.current()?.entries.length === 0);
  });

  test('close stops watching; the last catalog stays readable', async () => {
    await writeFile(join(dir, 'a.bin'), buildAppImage({ version: '2.0.4' }));
    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4'));
    await makeStore().load();
    store.watch();
    store.close();
    const before = store.current();
    await writeFile(join(dir, 'catalog.yaml'), '');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(store.current(), before);
  });
});
