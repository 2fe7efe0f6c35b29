/**
 * The catalog store exposes its last load, not only logs it: the catalog in use's skipped entries (each
 * entry once, however many problems it has), the last load's result, trigger, time and issues, and every
 * load reported to `onLoad`.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCatalogStore,
  skippedEntries,
  type CatalogLoadResult,
  type CatalogStore,
} from '../../src/runtime/catalog-store.js';
import { buildAppImage } from '../helpers/app-image.js';
import { captureLogger } from '../helpers/firmware-server.js';

const entry = (file: string, version: string): string =>
  `- board: bread-compact-wifi\n  version: "${version}"\n  file: ${file}\n`;

describe('catalog store status', () => {
  let dir: string;
  let store: CatalogStore | null = null;
  let clock = 1_000;
  const loads: [boolean, string][] = [];

  const open = (): CatalogStore => {
    store = createCatalogStore({
      dir,
      env: {},
      logger: captureLogger().logger,
      now: () => clock,
      onLoad: (result: CatalogLoadResult, trigger) => loads.push([result.ok, trigger]),
    });
    return store;
  };

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'xz-catalog-status-')));
    loads.length = 0;
    clock = 1_000;
  });
  afterEach(async () => {
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('before any load: nothing loaded, no last load', () => {
    assert.deepEqual(open().status(), {
      loaded: false,
      entries: 0,
      skipped: { entries: 0, issues: [] },
      lastLoad: null,
    });
  });

  test('skipped entries and the last load; a failed reload keeps the skips of the catalog in use', async () => {
    await writeFile(join(dir, 'a.bin'), buildAppImage({ version: '2.0.4' }));
    await writeFile(join(dir, 'catalog.yaml'), entry('a.bin', '2.0.4') + entry('gone.bin', '2.0.5'));
    const s = open();
    await s.load();
    const loaded = s.status();
    assert.equal(loaded.loaded, true);
    assert.equal(loaded.entries, 1);
    assert.equal(loaded.skipped.entries, 1);
    assert.deepEqual(
      loaded.skipped.issues.map((i) => i.path),
      ['catalog[1].file'],
    );
    assert.deepEqual(loaded.lastLoad && { ...loaded.lastLoad, issues: loaded.lastLoad.issues.length }, {
      at: 1_000,
      trigger: 'start',
      ok: true,
      issues: 1,
    });

    clock = 5_000;
    await writeFile(join(dir, 'catalog.yaml'), '- board: [\n');
    assert.equal((await s.reload()).ok, false);
    const failed = s.status();
    assert.equal(failed.entries, 1, 'the previous catalog stays');
    assert.equal(failed.skipped.entries, 1, 'and so do its skipped entries');
    assert.equal(failed.lastLoad?.ok, false);
    assert.equal(failed.lastLoad?.at, 5_000);
    assert.equal(failed.lastLoad?.trigger, 'reload');
    assert.ok((failed.lastLoad?.issues.length ?? 0) > 0);
    assert.deepEqual(loads, [
      [true, 'start'],
      [false, 'reload'],
    ]);
  });

  test('an entry with several problems is one skipped entry; a file-wide issue names none', () => {
    const issue = (path: string) => ({ path, message: path, file: 'catalog.yaml', line: 1, col: 1 });
    assert.equal(
      skippedEntries([
        issue('catalog[0].version'),
        issue('catalog[0].file'),
        issue('catalog[3]'),
        issue('catalog'),
      ]),
      2,
    );
  });
});
