/**
 * Per-entry rollout figures (docs/fleet.md "Interfaces": `GET /admin/api/rollouts`) and the fleet gauges'
 * labels (docs/fleet.md metrics), pure: the service feeds known devices a page at a time.
 */
import type { DeviceFacts } from '../device/types.js';
import { targetsDevice } from '../firmware/select.js';
import type { Catalog, CatalogEntry } from '../firmware/types.js';
import { matchesGlob } from '../match/glob.js';
import { entryIdOf } from './entry-id.js';
import type { AttemptCounts, DeviceTargetFacts } from './store/types.js';
import type { Rollout } from './types.js';

/** One entry's figures, in the API's shape. */
export interface RolloutFigures {
  readonly entry_id: string;
  readonly board: string;
  readonly version: string;
  readonly file: string;
  /** The entry's `rollout` percentage. */
  readonly rollout: number;
  /** Known devices the entry's targeting matches, whatever they run. */
  readonly eligible: number;
  /** Of those, the ones already running the version. */
  readonly on_version: number;
  readonly offered: number;
  readonly downloading: number;
  readonly downloaded: number;
  readonly installed: number;
  readonly failed: Readonly<Record<string, number>> & { readonly total: number };
  readonly silent: number;
  /** When the current counting window started (a resume restarts it); `null` = from the beginning. */
  readonly window_start: number | null;
  readonly halted: {
    readonly at: number;
    readonly by: 'fleet' | 'operator';
    readonly reason: string;
    readonly failed: number;
    readonly installed: number;
  } | null;
}

/** Counts eligible devices per entry over pages of known devices. */
export class EligibilityTally {
  readonly #entries: readonly CatalogEntry[];
  readonly #eligible: number[];
  readonly #onVersion: number[];

  constructor(catalog: Catalog | null) {
    this.#entries = catalog?.entries ?? [];
    this.#eligible = this.#entries.map(() => 0);
    this.#onVersion = this.#entries.map(() => 0);
  }

  add(devices: readonly DeviceTargetFacts[]): void {
    for (const known of devices) {
      const facts = targetFacts(known);
      this.#entries.forEach((entry, i) => {
        if (!targetsDevice(entry, facts)) return;
        this.#eligible[i] = (this.#eligible[i] ?? 0) + 1;
        if (known.version === entry.version) this.#onVersion[i] = (this.#onVersion[i] ?? 0) + 1;
      });
    }
  }

  /** The figures of every catalog entry (in catalog order), with the attempts' counts and halts. */
  figures(counts: readonly AttemptCounts[], rollouts: readonly Rollout[]): RolloutFigures[] {
    const byEntry = new Map(counts.map((c) => [c.entryId, c]));
    const rolloutOf = new Map(rollouts.map((r) => [r.entryId, r]));
    return this.#entries.map((entry, i) => {
      const id = entryIdOf(entry);
      const c = byEntry.get(id);
      const r = rolloutOf.get(id);
      const failed = { ...(c?.failed ?? {}) };
      const total = Object.values(failed).reduce((a, b) => a + b, 0);
      return {
        entry_id: id,
        board: entry.board,
        version: entry.version,
        file: entry.file,
        rollout: entry.rollout,
        eligible: this.#eligible[i] ?? 0,
        on_version: this.#onVersion[i] ?? 0,
        offered: c?.open.offered ?? 0,
        downloading: c?.open.downloading ?? 0,
        downloaded: c?.open.downloaded ?? 0,
        installed: c?.installed ?? 0,
        failed: { ...failed, total },
        silent: c?.silent ?? 0,
        window_start: r === undefined || r.windowStart === 0 ? null : r.windowStart,
        halted: r?.halt == null ? null : { ...r.halt },
      };
    });
  }
}

function targetFacts(known: DeviceTargetFacts): DeviceFacts {
  return {
    id: known.id,
    clientId: null,
    build: known.board,
    boardType: null,
    version: known.version,
    chip: known.chip,
    runningSlot: known.otaLabel,
    slotSizes: { ota0: known.slotOta0, ota1: known.slotOta1 },
    legacy: false,
  };
}

/**
 * Metric labels (docs/fleet.md metrics): `board` is the first matching entry's board as written, else
 * `other`; `version` is the running version when an entry for that board has it, else `other`. Labels
 * never carry a device id.
 */
export function gaugeLabels(
  catalog: Catalog | null,
  board: string | null,
  version: string | null,
): { readonly board: string; readonly version: string } {
  const entries = catalog?.entries ?? [];
  const first = board === null ? undefined : entries.find((e) => matchesGlob(e.boardGlob, board));
  if (first === undefined) return { board: 'other', version: 'other' };
  const known = version !== null && entries.some((e) => e.board === first.board && e.version === version);
  return { board: first.board, version: known ? (version ?? 'other') : 'other' };
}

/** `fleet_devices{board,version}` from the store's per (board, version) counts. */
export function deviceGauge(
  catalog: Catalog | null,
  counts: readonly {
    readonly board: string | null;
    readonly version: string | null;
    readonly devices: number;
  }[],
): { readonly board: string; readonly version: string; readonly devices: number }[] {
  const sums = new Map<string, { board: string; version: string; devices: number }>();
  for (const row of counts) {
    const labels = gaugeLabels(catalog, row.board, row.version);
    const key = `${labels.board}\u0000${labels.version}`;
    const sum = sums.get(key) ?? { ...labels, devices: 0 };
    sum.devices += row.devices;
    sums.set(key, sum);
  }
  return [...sums.values()];
}
