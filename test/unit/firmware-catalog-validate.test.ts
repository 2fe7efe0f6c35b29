import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseCatalog } from '../../src/firmware/catalog-parse.js';
import type { RawCatalogEntry } from '../../src/firmware/catalog-parse.js';
import { validateCatalog } from '../../src/firmware/catalog-validate.js';
import type { FileFacts } from '../../src/firmware/catalog-validate.js';
import { APP_IMAGE_HEADER_BYTES, readAppImage } from '../../src/firmware/app-image.js';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';

const file = '/srv/firmware/catalog.yaml';
const dir = '/srv/firmware';

function entries(text: string): readonly RawCatalogEntry[] {
  const result = parseCatalog(text, { file, env: {} });
  assert.ok(result.kind === 'parsed' && result.issues.length === 0, JSON.stringify(result.issues));
  return result.entries;
}

function factsFor(name: string, bytes: Buffer): FileFacts {
  return {
    kind: 'file',
    path: `${dir}/${name}`,
    size: bytes.length,
    mtimeMs: 1_786_000_000_000,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    image: readAppImage(bytes.subarray(0, APP_IMAGE_HEADER_BYTES)),
  };
}

const entry = (fileName: string, version = '2.0.4', extra = ''): string =>
  `- board: bread-compact-wifi\n  version: "${version}"\n  file: ${fileName}\n${extra}`;

describe('validateCatalog', () => {
  test('a matching app image becomes an entry with its facts and image info', () => {
    const image = buildAppImage({
      version: '2.0.4',
      chipId: 9,
      projectName: 'xiaozhi',
      idf: 'v5.4.1',
      size: 4096,
    });
    const facts = new Map([['xiaozhi.bin', factsFor('xiaozhi.bin', image)]]);
    const { catalog, issues } = validateCatalog({ entries: entries(entry('xiaozhi.bin')), facts, file, dir });
    assert.deepEqual(issues, []);
    const [e] = catalog.entries;
    assert.ok(e);
    assert.equal(catalog.byFile.get('xiaozhi.bin'), e);
    assert.equal(e.path, `${dir}/xiaozhi.bin`);
    assert.equal(e.size, 4096);
    assert.equal(e.sha256, createHash('sha256').update(image).digest('hex'));
    assert.deepEqual(
      [e.image.chip, e.image.chipId, e.image.projectName, e.image.idfVersion, e.image.version],
      ['esp32s3', 9, 'xiaozhi', 'v5.4.1', '2.0.4'],
    );
  });

  test('every file problem skips its entry with an issue naming it; the rest keep working', () => {
    const good = buildAppImage({ version: '2.0.4' });
    const cases: Array<[string, FileFacts, string]> = [
      ['missing.bin', { kind: 'missing' }, 'file'],
      ['link.bin', { kind: 'outside-dir', resolved: '/etc/passwd' }, 'file'],
      ['folder.bin', { kind: 'not-a-file' }, 'file'],
      ['locked.bin', { kind: 'unreadable', reason: 'EACCES' }, 'file'],
      ['merged-binary.bin', factsFor('merged-binary.bin', buildMergedImage({ version: '2.0.4' })), 'file'],
      ['page.bin', factsFor('page.bin', Buffer.from('<html>404</html>')), 'file'],
      ['older.bin', factsFor('older.bin', buildAppImage({ version: '2.0.3' })), 'version'],
    ];
    const text = cases.map(([name], i) => entry(name, `2.0.${10 + i}`)).join('') + entry('xiaozhi.bin');
    const facts = new Map<string, FileFacts>([
      ...cases.map(([name, f]) => [name, f] as [string, FileFacts]),
      ['xiaozhi.bin', factsFor('xiaozhi.bin', good)],
    ]);
    const { catalog, issues } = validateCatalog({ entries: entries(text), facts, file, dir });
    assert.deepEqual(
      catalog.entries.map((e) => e.file),
      ['xiaozhi.bin'],
    );
    assert.deepEqual(
      issues.map((i) => i.path),
      cases.map(([, , key], i) => `catalog[${i}].${key === 'version' ? 'version' : 'file'}`),
    );
    // Entry i spans lines 3i+1 to 3i+3: its version value at column 12, its file name at column 9.
    assert.deepEqual(
      issues.map((i) => [i.line, i.col]),
      cases.map(([, , key], i) => (key === 'version' ? [3 * i + 2, 12] : [3 * i + 3, 9])),
    );
    for (const issue of issues) {
      assert.equal(issue.file, file);
      assert.ok(issue.message.startsWith('`catalog['), issue.message);
    }
  });

  test('a merged binary is refused with advice to ship the app image', () => {
    const facts = new Map([
      ['merged-binary.bin', factsFor('merged-binary.bin', buildMergedImage({ version: '2.0.4', chipId: 0 }))],
    ]);
    const { catalog, issues } = validateCatalog({
      entries: entries(entry('merged-binary.bin')),
      facts,
      file,
      dir,
    });
    assert.equal(catalog.entries.length, 0);
    assert.equal(issues[0]?.path, 'catalog[0].file');
    assert.ok(issues[0]?.message.includes('xiaozhi.bin'));
    assert.ok(issues[0]?.message.includes('merged-binary.bin'));
  });

  test('an image whose embedded version differs is refused (devices would re-flash forever)', () => {
    const facts = new Map([['xiaozhi.bin', factsFor('xiaozhi.bin', buildAppImage({ version: '2.0.4' }))]]);
    for (const declared of ['2.0.5', '2.0.4.0', '2.0']) {
      const { catalog, issues } = validateCatalog({
        entries: entries(entry('xiaozhi.bin', declared)),
        facts,
        file,
        dir,
      });
      assert.equal(catalog.entries.length, 0, declared);
      assert.equal(issues[0]?.path, 'catalog[0].version');
      assert.equal(issues[0]?.line, 2);
      assert.ok(issues[0]?.message.includes('forever'));
    }
  });

  test('versions are equal as the device compares them (leading digits per segment)', () => {
    const facts = new Map([
      ['xiaozhi.bin', factsFor('xiaozhi.bin', buildAppImage({ version: '2.0.4-dirty' }))],
    ]);
    const { catalog, issues } = validateCatalog({
      entries: entries(entry('xiaozhi.bin', '2.0.4')),
      facts,
      file,
      dir,
    });
    assert.deepEqual(issues, []);
    assert.equal(catalog.entries[0]?.image.version, '2.0.4-dirty');
  });

  test('sha256 is checked when given', () => {
    const image = buildAppImage({ version: '2.0.4' });
    const sha = createHash('sha256').update(image).digest('hex');
    const facts = new Map([['xiaozhi.bin', factsFor('xiaozhi.bin', image)]]);
    const ok = validateCatalog({
      entries: entries(entry('xiaozhi.bin', '2.0.4', `  sha256: "${sha.toUpperCase()}"\n`)),
      facts,
      file,
      dir,
    });
    assert.deepEqual(ok.issues, []);
    const bad = validateCatalog({
      entries: entries(entry('xiaozhi.bin', '2.0.4', `  sha256: "${'f'.repeat(64)}"\n`)),
      facts,
      file,
      dir,
    });
    assert.equal(bad.catalog.entries.length, 0);
    assert.equal(bad.issues[0]?.path, 'catalog[0].sha256');
    assert.equal(bad.issues[0]?.line, 4);
  });

  test('two entries may share one file; byFile finds it', () => {
    const facts = new Map([['xiaozhi.bin', factsFor('xiaozhi.bin', buildAppImage({ version: '2.0.4' }))]]);
    const text =
      entry('xiaozhi.bin') + entry('xiaozhi.bin').replace('bread-compact-wifi', 'bread-compact-wifi-lcd');
    const { catalog } = validateCatalog({ entries: entries(text), facts, file, dir });
    assert.equal(catalog.entries.length, 2);
    assert.equal(catalog.byFile.get('xiaozhi.bin')?.index, 0);
  });
});
