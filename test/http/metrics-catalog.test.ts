/**
 * /metrics shows the catalog's problems: a gauge of the entries the loaded catalog skipped, and a counter of
 * catalog reloads by result (ok, failed: catalog.yaml unusable, the previous catalog kept).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAppImage } from '../helpers/app-image.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

const VALID = '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n';
const WITH_SKIPS =
  VALID +
  '- board: bread-compact-wifi\n  version: "1.8.0"\n  file: missing.bin\n' +
  '- board: bread-compact-wifi\n  version: "nope"\n  file: bread-1.7.2.bin\n';

/** The catalog series of one scrape, as `name{labels} value` lines. */
async function catalogSeries(h: Harness): Promise<string[]> {
  const text = await (await fetch(`${h.proxy.url}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith('xiaozhi_ota_proxy_catalog_'));
}

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('catalog metrics', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      yaml: 'firmware:\n  dir: firmware\n',
      files: {
        'firmware/catalog.yaml': WITH_SKIPS,
        'firmware/bread-1.7.2.bin': buildAppImage({ version: '1.7.2', chipId: 9, size: 4096 }),
      },
    });
  });
  after(() => h.close());

  test('at start: the skipped entries counted, no reload yet', async () => {
    assert.deepEqual(await catalogSeries(h), [
      'xiaozhi_ota_proxy_catalog_reloads_total{result="ok"} 0',
      'xiaozhi_ota_proxy_catalog_reloads_total{result="failed"} 0',
      'xiaozhi_ota_proxy_catalog_entries 1',
      'xiaozhi_ota_proxy_catalog_skipped_entries 2',
    ]);
  });

  test('an unusable catalog.yaml counts a failed reload; the skipped entries of the kept catalog stay', async () => {
    writeFileSync(join(h.dir, 'firmware/catalog.yaml'), '- board: [unclosed\n');
    await until('the failed reload', async () =>
      (await catalogSeries(h)).includes('xiaozhi_ota_proxy_catalog_reloads_total{result="failed"} 1'),
    );
    assert.deepEqual(await catalogSeries(h), [
      'xiaozhi_ota_proxy_catalog_reloads_total{result="ok"} 0',
      'xiaozhi_ota_proxy_catalog_reloads_total{result="failed"} 1',
      'xiaozhi_ota_proxy_catalog_entries 1',
      'xiaozhi_ota_proxy_catalog_skipped_entries 2',
    ]);
  });

  test('a fixed catalog.yaml counts an ok reload and nothing skipped', async () => {
    writeFileSync(join(h.dir, 'firmware/catalog.yaml'), VALID);
    await until('the good reload', async () =>
      (await catalogSeries(h)).includes('xiaozhi_ota_proxy_catalog_reloads_total{result="ok"} 1'),
    );
    assert.deepEqual(await catalogSeries(h), [
      'xiaozhi_ota_proxy_catalog_reloads_total{result="ok"} 1',
      'xiaozhi_ota_proxy_catalog_reloads_total{result="failed"} 1',
      'xiaozhi_ota_proxy_catalog_entries 1',
      'xiaozhi_ota_proxy_catalog_skipped_entries 0',
    ]);
  });
});
