/**
 * Catalog entries and device facts for tests of the offer decision and the firmware rule, built in
 * memory (no files): pass only what the test is about.
 */
import type { DeviceFacts } from '../../src/device/types.js';
import { parseTemplate } from '../../src/config/template.js';
import { chipNameForId } from '../../src/firmware/app-image.js';
import type { Catalog, CatalogEntry } from '../../src/firmware/types.js';
import { compileGlob } from '../../src/match/glob.js';

export interface EntryOptions {
  readonly board?: string;
  readonly version?: string;
  readonly file?: string;
  readonly url?: string | null;
  readonly size?: number;
  readonly chipId?: number;
  readonly rollout?: number;
  readonly devices?: readonly string[] | null;
  readonly exclude?: readonly string[];
  readonly minVersion?: string | null;
  readonly force?: boolean;
}

export function makeEntry(
  {
    board = 'bread-compact-wifi',
    version = '2.0.0',
    file,
    url = null,
    size = 2_000_000,
    chipId = 9,
    rollout = 100,
    devices = null,
    exclude = [],
    minVersion = null,
    force = false,
  }: EntryOptions = {},
  index = 0,
): CatalogEntry {
  const name = file ?? `${board.replace(/[^A-Za-z0-9._-]/g, '_')}-${version}.bin`;
  let template = null;
  if (url !== null) {
    const parsed = parseTemplate(url);
    if (typeof parsed === 'string') throw new Error(parsed);
    template = parsed;
  }
  return {
    index,
    board,
    boardGlob: compileGlob(board),
    version,
    file: name,
    path: `/srv/firmware/${name}`,
    url: template,
    sha256: '0'.repeat(64),
    size,
    mtimeMs: 1_786_000_000_000,
    rollout,
    devices,
    exclude,
    minVersion,
    force,
    image: {
      chipId,
      chip: chipNameForId(chipId),
      version,
      projectName: 'xiaozhi',
      idfVersion: 'v5.4.1',
      compileTime: '12:00:00',
      compileDate: 'Aug  6 2026',
    },
  };
}

/** A catalog from entry options, indices in order. */
export function makeCatalog(entries: readonly EntryOptions[]): Catalog {
  const list = entries.map((options, i) => makeEntry(options, i));
  return { entries: list, byFile: new Map(list.map((e) => [e.file, e])) };
}

/** A bread-compact-wifi on esp32s3 running 1.9.0 from ota_0, 16 MB layout (3.9 MB slots). */
export function makeDevice(overrides: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    id: 'aa:bb:cc:dd:ee:01',
    clientId: 'e4f1c2a8-3b6d-4f7e-9a15-2c8d7b6e5f40',
    build: 'bread-compact-wifi',
    boardType: 'bread-compact-wifi',
    version: '1.9.0',
    chip: 'esp32s3',
    runningSlot: 'ota_0',
    slotSizes: { ota0: 4_063_232, ota1: 4_063_232 },
    legacy: false,
    ...overrides,
  };
}
