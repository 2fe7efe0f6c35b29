/**
 * The benchmark's firmware catalog, as data: 200 entries over many boards, versions, chips and rollout
 * values (docs/configuration.md "Catalog"), so that every OTA check scans a catalog of realistic size. A handful of
 * entries target the benchmark's device (bread-compact-wifi 1.6.0 on esp32s3): which one each device is
 * offered is computed here independently of the proxy, from the rollout rule, to verify its answers.
 * One more entry carries the 4 MiB image of the download test.
 */
import { createHash } from 'node:crypto';

export interface PlannedEntry {
  readonly board: string;
  readonly version: string;
  readonly file: string;
  /** Chip id written into the image (9 = esp32s3, 5 = esp32c3, 0 = esp32; docs/device-contract.md §6). */
  readonly chipId: number;
  readonly size: number;
  readonly rollout: number;
  readonly devices?: readonly string[];
  readonly exclude?: readonly string[];
  readonly minVersion?: string;
  readonly force?: boolean;
  /** Write the image's sha256 into the entry (the proxy then checks it). */
  readonly withSha256: boolean;
  /** Varies the filler bytes so that every image differs. */
  readonly seed: number;
}

/** The number of catalog entries. */
export const CATALOG_ENTRIES = 200;
/** The build name of the benchmark's device (its User-Agent and board.name). */
export const BENCH_BOARD = 'bread-compact-wifi';
/** Offered to the devices outside the rollout. */
export const BASELINE_VERSION = '2.0.0';
/** The staged rollout the boot storm measures. */
export const ROLLOUT = { version: '2.1.0', percent: 25 } as const;
/** The image of the download test: 4 MiB. */
export const DOWNLOAD_ENTRY = {
  board: 'bench-download',
  version: '9.9.9',
  file: 'download-4mib.bin',
  size: 4 * 1024 * 1024,
} as const;

const SMALL_IMAGE = 4096;
const OTHER_BOARDS: readonly (readonly [board: string, chipId: number])[] = [
  ['esp-box-3', 9],
  ['esp-box', 9],
  ['m5stack-core-s3', 9],
  ['lichuang-dev', 9],
  ['atoms3r-echo-base', 9],
  ['xmini-c3', 5],
  ['esp32-s3-touch-amoled-1.8', 9],
  ['kevin-box-2', 9],
  ['magiclick-2p4', 9],
  ['doit-s3-aibox', 9],
  ['taiji-pi-s3', 9],
  ['sensecap-watcher', 9],
  ['esp-sparkbot', 9],
  ['m5stack-stack-chan', 9],
  ['waveshare-s3-touch-lcd-1.85', 9],
  ['zhengchen-1.54tft-wifi', 9],
  ['tudouzi', 9],
  ['movecall-moji-esp32s3', 9],
  ['df-k10', 9],
  ['esp32-cgc', 0],
];
const OTHER_VERSIONS = [
  '1.7.0',
  '1.8.0',
  '1.9.2',
  '2.0.0',
  '2.0.4',
  '2.1.0',
  '2.2.1',
  '2.3.0',
  '2.4.0',
  '2.4.2',
];
const ROLLOUTS = [100, 50, 25, 10, 5, 12.5, 100, 75, 0.5, 100];
const TESTERS = ['aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:02', 'aa:bb:cc:00:00:03'];

/** The 200 entries, in file order. */
export function catalogPlan(): PlannedEntry[] {
  const plan: PlannedEntry[] = [];
  const add = (
    entry: Omit<PlannedEntry, 'file' | 'seed' | 'withSha256' | 'size' | 'rollout' | 'chipId'> &
      Partial<Pick<PlannedEntry, 'file' | 'size' | 'rollout' | 'chipId'>>,
  ): void => {
    const seed = plan.length;
    plan.push({
      chipId: 9,
      size: SMALL_IMAGE + (seed % 8) * 512,
      rollout: 100,
      file: `${entry.board.replace(/[^A-Za-z0-9._-]/g, '_')}-${entry.version}.bin`,
      withSha256: seed % 3 === 0,
      seed,
      ...entry,
    });
  };
  // What the benchmark's device (1.6.0, esp32s3, writing ota_1 of 4128768 bytes) meets:
  add({ board: BENCH_BOARD, version: '1.5.0' }); // not newer
  add({ board: 'bread-compact-*', version: '1.8.0', file: 'bread-compact-any-1.8.0.bin' }); // glob, older than the baseline
  add({ board: BENCH_BOARD, version: '1.9.0', exclude: TESTERS }); // eligible, older than the baseline
  add({ board: BENCH_BOARD, version: BASELINE_VERSION, minVersion: '1.5.0' }); // everyone's offer …
  add({ board: BENCH_BOARD, version: ROLLOUT.version, rollout: ROLLOUT.percent }); // … unless inside this rollout
  add({ board: BENCH_BOARD, version: '2.2.0', devices: TESTERS }); // testers only
  add({ board: BENCH_BOARD, version: '3.0.0', chipId: 5 }); // wrong chip
  add({ board: BENCH_BOARD, version: '2.5.0', size: 4_200_000 }); // does not fit the slot
  add({ board: 'bread-compact-wifi-128x64', version: '2.1.0' }); // another build of the same board type
  add({
    board: DOWNLOAD_ENTRY.board,
    version: DOWNLOAD_ENTRY.version,
    file: DOWNLOAD_ENTRY.file,
    size: DOWNLOAD_ENTRY.size,
  });
  // Everyone else's fleet.
  let i = 0;
  outer: for (const version of OTHER_VERSIONS) {
    for (const [board, chipId] of OTHER_BOARDS) {
      if (plan.length >= CATALOG_ENTRIES) break outer;
      const k = i++;
      const pinned = board === 'm5stack-stack-chan' && k % 2 === 0;
      add({
        board: k % 17 === 5 ? `${board.split('-')[0] ?? board}-*` : board,
        version,
        file: `${board}-${version}${k % 17 === 5 ? '-any' : ''}.bin`,
        chipId,
        rollout: ROLLOUTS[k % ROLLOUTS.length] ?? 100,
        ...(k % 4 === 1 ? { minVersion: '1.6.0' } : {}),
        ...(k % 5 === 2 ? { exclude: TESTERS } : {}),
        ...(pinned ? { devices: TESTERS, force: true } : {}),
      });
    }
  }
  if (plan.length !== CATALOG_ENTRIES)
    throw new Error(`catalog plan has ${plan.length} entries, not ${CATALOG_ENTRIES}`);
  return plan;
}

/** catalog.yaml for the plan; `sha256` maps file names to their hashes. */
export function catalogYaml(plan: readonly PlannedEntry[], sha256: ReadonlyMap<string, string>): string {
  const list = (values: readonly string[]): string => `[${values.join(', ')}]`;
  const lines = ['# written by bench/catalog-plan.ts: the benchmark catalog (200 entries)'];
  for (const entry of plan) {
    lines.push(`- board: "${entry.board}"`);
    lines.push(`  version: "${entry.version}"`);
    lines.push(`  file: ${entry.file}`);
    if (entry.rollout !== 100) lines.push(`  rollout: ${entry.rollout}`);
    if (entry.devices) lines.push(`  devices: ${list(entry.devices)}`);
    if (entry.exclude) lines.push(`  exclude: ${list(entry.exclude)}`);
    if (entry.minVersion) lines.push(`  min_version: "${entry.minVersion}"`);
    if (entry.force) lines.push('  force: true');
    const hash = sha256.get(entry.file);
    if (entry.withSha256 && hash) lines.push(`  sha256: ${hash}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A device's rollout bucket for an entry, written from docs/configuration.md "Catalog" (not imported from src/):
 * the first 8 hex digits of sha256("<device id>|<entry board as written>|<entry version>") mod 10000.
 */
export function rolloutBucket(deviceId: string, board: string, version: string): number {
  const digest = createHash('sha256').update(`${deviceId}|${board}|${version}`, 'utf8').digest('hex');
  return Number.parseInt(digest.slice(0, 8), 16) % 10_000;
}

/** The version the catalog must offer the benchmark device with this id. */
export function expectedOffer(deviceId: string): string {
  return rolloutBucket(deviceId, BENCH_BOARD, ROLLOUT.version) < ROLLOUT.percent * 100
    ? ROLLOUT.version
    : BASELINE_VERSION;
}
