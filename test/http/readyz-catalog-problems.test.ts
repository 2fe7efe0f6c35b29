/**
 * /readyz shows the catalog's problems, not only the log: the skipped entries (count and reasons) of the
 * catalog in use, and the last load — a catalog.yaml that cannot be used is reported as a failed load
 * that kept the previous catalog (still ready), its problems listed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readiness } from '../../src/admin/health.js';
import { buildAppImage } from '../helpers/app-image.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const VALID = '- board: bread-compact-wifi\n  version: "1.7.2"\n  file: bread-1.7.2.bin\n';
const CATALOG =
  VALID +
  '- board: bread-compact-wifi\n  version: "1.8.0"\n  file: missing.bin\n' +
  '- board: bread-compact-wifi\n  version: "1.9.0"\n  file: notes.txt\n';

async function readyz(h: Harness): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${h.proxy.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('/readyz and the catalog', () => {
  let h: Harness;
  let clock = T0;
  before(async () => {
    h = await startHarness({
      now: () => clock,
      yaml: 'firmware:\n  dir: firmware\n',
      files: {
        'firmware/catalog.yaml': CATALOG,
        'firmware/bread-1.7.2.bin': buildAppImage({ version: '1.7.2', chipId: 9, size: 4096 }),
        'firmware/notes.txt': 'not a firmware image\n',
      },
    });
  });
  after(() => h.close());

  test('lists the skipped entries with their reasons, and the load that built the catalog', async () => {
    clock = T0 + 3_000;
    const { status, body } = await readyz(h);
    assert.equal(status, 200);
    assert.equal(body.checks.catalog, 'loaded');
    assert.equal(body.catalog?.entries, 1);
    assert.equal(body.catalog?.skipped.count, 2);
    const [missing, notImage, ...rest] = body.catalog?.skipped.reasons ?? [];
    assert.deepEqual(rest, []);
    assert.match(
      missing ?? '',
      /^`catalog\[1\]` \(bread-compact-wifi 1\.8\.0\) is skipped: missing\.bin does not exist/,
    );
    assert.match(notImage ?? '', /^`catalog\[2\]` \(bread-compact-wifi 1\.9\.0\) is skipped: /);
    // No token guards /readyz: where the proxy's files live is not told, only the file's name.
    for (const reason of [missing, notImage]) {
      assert.match(reason ?? '', / at catalog\.yaml:\d+:\d+/);
      assert.ok(!(reason ?? '').includes(h.dir), reason);
    }
    assert.deepEqual(body.catalog?.lastLoad, {
      result: 'ok',
      trigger: 'start',
      at: '2026-03-01T10:00:00.000Z',
      secondsAgo: 3,
    });
  });

  test('an unusable catalog.yaml: the load failed and says why; the previous catalog and its skips stay', async () => {
    clock = T0 + 60_000;
    writeFileSync(join(h.dir, 'firmware/catalog.yaml'), '- board: [unclosed\n');
    await until(
      'the failed reload',
      async () => (await readyz(h)).body.catalog?.lastLoad?.result === 'failed',
    );
    clock = T0 + 65_000;
    const { status, body } = await readyz(h);
    assert.equal(status, 200, 'the previous catalog still answers');
    assert.equal(body.checks.catalog, 'loaded');
    assert.equal(body.catalog?.entries, 1);
    assert.equal(body.catalog?.skipped.count, 2);
    const last = body.catalog?.lastLoad;
    assert.equal(last?.trigger, 'catalog.yaml changed');
    assert.equal(last?.at, '2026-03-01T10:01:00.000Z');
    assert.equal(last?.secondsAgo, 5);
    assert.equal(last?.problems?.length, 1);
    assert.match(last?.problems?.[0] ?? '', /catalog\.yaml/);
    assert.ok(!(last?.problems?.[0] ?? '').includes(h.dir), last?.problems?.[0]);
  });

  test('a fixed catalog.yaml: nothing skipped, the load ok', async () => {
    clock = T0 + 120_000;
    writeFileSync(join(h.dir, 'firmware/catalog.yaml'), VALID);
    await until('the good reload', async () => (await readyz(h)).body.catalog?.lastLoad?.result === 'ok');
    const { body } = await readyz(h);
    assert.deepEqual(body.catalog, {
      entries: 1,
      skipped: { count: 0, reasons: [] },
      lastLoad: {
        result: 'ok',
        trigger: 'catalog.yaml changed',
        at: '2026-03-01T10:02:00.000Z',
        secondsAgo: 0,
      },
    });
  });
});
