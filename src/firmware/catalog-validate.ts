/**
 * Checks each catalog entry against its file as the store found it on disk, and builds the Catalog the
 * offer decision and /firmware/ use (issue 4 "Catalog and validation"; docs/device-contract.md §5). An invalid
 * entry is reported, naming it, and left out; the rest keep working.
 */
import type { SourcePosition } from '../config/yaml-source.js';
import { formatLocation } from '../config/yaml-source.js';
import type { ConfigIssue } from '../errors.js';
import { compareVersions, parseVersionNumbers } from '../match/version.js';
import type { AppImageKind } from './app-image.js';
import { CATALOG_PATH } from './catalog-parse.js';
import type { RawCatalogEntry } from './catalog-parse.js';
import type { Catalog, CatalogEntry } from './types.js';

/** What the store learnt about an entry's file (runtime/catalog-store.ts). */
export type FileFacts =
  | { readonly kind: 'missing' }
  /** Resolves (through a symlink) to somewhere outside firmware.dir. */
  | { readonly kind: 'outside-dir'; readonly resolved: string }
  | { readonly kind: 'not-a-file' }
  /** Could not be read, or changed while it was being read. */
  | { readonly kind: 'unreadable'; readonly reason: string }
  | {
      readonly kind: 'file';
      /** Absolute, symlinks resolved: what /firmware/ opens. */
      readonly path: string;
      readonly size: number;
      readonly mtimeMs: number;
      /** Lowercase hex of the whole file. */
      readonly sha256: string;
      /** What the file's first bytes say it is (`readAppImage` on `APP_IMAGE_HEADER_BYTES`): kept instead of
       *  the 36 KiB of bytes, so a large catalog costs a few hundred bytes per entry. */
      readonly image: AppImageKind;
    };

export interface CatalogValidateInput {
  readonly entries: readonly RawCatalogEntry[];
  /** Facts for an entry's file, by file name. */
  readonly facts: ReadonlyMap<string, FileFacts>;
  /** catalog.yaml as named in messages. */
  readonly file: string;
  /** firmware.dir as named in messages. */
  readonly dir: string;
}

/** Builds the Catalog from the entries whose file is a matching app image; every other entry is an issue. */
export function validateCatalog({ entries, facts, file, dir }: CatalogValidateInput): {
  catalog: Catalog;
  issues: ConfigIssue[];
} {
  const valid: CatalogEntry[] = [];
  const issues: ConfigIssue[] = [];
  for (const raw of entries) {
    const result = validateEntry(raw, facts.get(raw.file) ?? { kind: 'missing' }, dir);
    if (result.kind === 'ok') valid.push(result.entry);
    else issues.push(issueFor(raw, result, file));
  }
  const byFile = new Map<string, CatalogEntry>();
  for (const entry of valid) if (!byFile.has(entry.file)) byFile.set(entry.file, entry);
  return { catalog: { entries: valid, byFile }, issues };
}

export type EntryProblem = {
  readonly kind: 'problem';
  readonly key: 'file' | 'version' | 'sha256';
  readonly text: string;
};
export type EntryResult = { readonly kind: 'ok'; readonly entry: CatalogEntry } | EntryProblem;

/**
 * One entry against its file's facts: the check a load makes, and the one an upload makes before anything
 * is written (src/operations/firmware-upload.ts), so the two can never disagree.
 */
export function validateEntry(raw: RawCatalogEntry, facts: FileFacts, dir: string): EntryResult {
  switch (facts.kind) {
    case 'missing':
      return problem('file', `${raw.file} does not exist in ${dir}`);
    case 'outside-dir':
      return problem(
        'file',
        `${raw.file} resolves to ${facts.resolved}, outside ${dir}; only files inside firmware.dir are served`,
      );
    case 'not-a-file':
      return problem('file', `${raw.file} is not a regular file`);
    case 'unreadable':
      return problem('file', `${raw.file} cannot be read (${facts.reason})`);
    case 'file':
      return validateImage(raw, facts);
    default: {
      const never: never = facts;
      return never;
    }
  }
}

function validateImage(raw: RawCatalogEntry, facts: Extract<FileFacts, { kind: 'file' }>): EntryResult {
  const { image } = facts;
  switch (image.kind) {
    case 'merged':
      // Devices can flash only the app partition; a merged image fails its OTA (docs/device-contract.md §5; upstream #1047, #2613).
      return problem(
        'file',
        `${raw.file} is a merged flash image (bootloader, partition table and app) or a bootloader, which a device cannot install over OTA; ship the application image instead (e.g. xiaozhi.bin from the build folder, not merged-binary.bin)`,
      );
    case 'not-an-image':
      return problem(
        'file',
        `${raw.file} is not an ESP32 application image: ${image.reason}; ship the application image (e.g. xiaozhi.bin)`,
      );
    case 'app':
      break;
    default: {
      const never: never = image;
      return never;
    }
  }
  const { info } = image;
  // The device reports the version embedded in the image after the update; the proxy compares that with
  // the entry. Equal as the device compares versions (by leading digits), or it re-flashes forever (§5).
  const embedded = parseVersionNumbers(info.version);
  const declared = parseVersionNumbers(raw.version);
  if (embedded === null || declared === null || compareVersions(embedded, declared) !== 0) {
    return problem(
      'version',
      `${raw.file} carries version "${info.version}" but the entry says "${raw.version}"; devices would install it, report "${info.version}", be offered "${raw.version}" again and re-flash forever`,
    );
  }
  if (raw.sha256 !== null && raw.sha256 !== facts.sha256) {
    return problem(
      'sha256',
      `${raw.file} has sha256 ${facts.sha256}, not the ${raw.sha256} the entry expects`,
    );
  }
  const entry: CatalogEntry = {
    index: raw.index,
    board: raw.board,
    boardGlob: raw.boardGlob,
    version: raw.version,
    file: raw.file,
    path: facts.path,
    url: raw.url,
    sha256: facts.sha256,
    size: facts.size,
    mtimeMs: facts.mtimeMs,
    rollout: raw.rollout,
    devices: raw.devices,
    exclude: raw.exclude,
    minVersion: raw.minVersion,
    force: raw.force,
    image: info,
  };
  return { kind: 'ok', entry };
}

function problem(key: EntryProblem['key'], text: string): EntryProblem {
  return { kind: 'problem', key, text };
}

function issueFor(raw: RawCatalogEntry, { key, text }: EntryProblem, file: string): ConfigIssue {
  const path = `${CATALOG_PATH}[${raw.index}].${key}`;
  const pos: SourcePosition = raw.positions[key].line === 0 ? raw.positions.entry : raw.positions[key];
  return {
    path,
    message: `\`${CATALOG_PATH}[${raw.index}]\` (${raw.board} ${raw.version}) is skipped: ${text} at ${formatLocation(file, pos)}`,
    file,
    line: pos.line,
    col: pos.col,
  };
}
