/** The firmware catalog as loaded and validated (docs/configuration.md "Catalog"; docs/device-contract.md §5–§6). */
import type { Template } from '../config/types.js';
import type { Glob } from '../match/types.js';

/** What an ESP32 application image says about itself (docs/device-contract.md §5). */
export interface AppImageInfo {
  readonly chipId: number;
  /** ESP-IDF target name for `chipId`, or `null` when the id is not one we know. */
  readonly chip: string | null;
  readonly version: string;
  readonly projectName: string;
  readonly idfVersion: string;
  readonly compileTime: string;
  readonly compileDate: string;
}

export interface CatalogEntry {
  /** 0-based position in catalog.yaml, for messages. */
  readonly index: number;
  /** The board glob as written: part of the rollout hash. */
  readonly board: string;
  readonly boardGlob: Glob;
  readonly version: string;
  readonly file: string;
  /** Absolute path inside firmware.dir. */
  readonly path: string;
  readonly url: Template | null;
  readonly sha256: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** 0–100, up to two decimals. */
  readonly rollout: number;
  readonly devices: readonly string[] | null;
  readonly exclude: readonly string[];
  readonly minVersion: string | null;
  readonly force: boolean;
  readonly image: AppImageInfo;
}

export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  /** By file name: the only way /firmware/<file> finds a file. */
  readonly byFile: ReadonlyMap<string, CatalogEntry>;
}

export type NoOfferReason =
  | 'no-catalog'
  | 'unknown-version'
  | 'no-entry-for-board'
  | 'wrong-chip'
  | 'excluded'
  | 'not-in-devices'
  | 'outside-rollout'
  | 'below-min-version'
  | 'too-large-for-slot'
  | 'not-newer'
  | 'pinned-current'
  | WithheldReason;

/**
 * Why the fleet withholds an entry the catalog would offer (docs/fleet.md "Protections"): the device is
 * blocked from it, its rollout is halted, the fleet has not loaded blocks and halts yet (or finds a newer
 * schema), or `require_token` and the device has no valid `Device-Id`.
 */
export type WithheldReason = 'blocked' | 'halted' | 'fleet-not-synced' | 'anonymous';

export interface Withholding {
  readonly reason: WithheldReason;
  /** For the log line, e.g. `blocked: failed 3 times (rejected-or-rolled-back)`. */
  readonly detail: string;
}

/**
 * The fleet's say in one check's offer. A withheld pin (`force`) offers nothing, never the highest newer
 * version instead; a withheld non-pin is simply not eligible.
 */
export interface OfferGate {
  /** `null`: not withheld. Asked only for entries the catalog finds eligible. */
  withheld(entry: CatalogEntry): Withholding | null;
  /** The download token for a proxy-served file (`/firmware/<token>/<file>`), or `null` for the plain URL. */
  downloadToken?(file: string): string | null;
}

/** The catalog's decision for one check: what to offer, or why nothing. */
export type FirmwareDecision =
  | {
      readonly kind: 'offer';
      readonly entry: CatalogEntry;
      readonly version: string;
      readonly url: string;
      /** Only for a pin that differs from the running version. */
      readonly force: boolean;
    }
  | {
      readonly kind: 'none';
      readonly reason: NoOfferReason;
      /** For the log line, e.g. `bread-compact-wifi 1.7.0: outside rollout (bucket 7312 ≥ 500)`. */
      readonly detail: string;
    };
