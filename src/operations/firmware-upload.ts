/**
 * Adding an image to the catalog (docs/fleet.md "Interfaces": upload): version and chip are read from the
 * image, the entry is checked by the loader's own code (catalog-parse.ts for the keys, catalog-validate.ts
 * `validateEntry` for the image) before anything is written, then the image is created beside the
 * catalog (never over an existing file) and the entry appended to catalog.yaml with its comments kept.
 * A refused upload changes nothing and says why.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../config/interpolate.js';
import { APP_IMAGE_HEADER_BYTES, readAppImage } from '../firmware/app-image.js';
import { CATALOG_PATH, parseCatalog, type RawCatalogEntry } from '../firmware/catalog-parse.js';
import { validateEntry } from '../firmware/catalog-validate.js';
import { entryId } from '../fleet/entry-id.js';
import { parseVersionNumbers } from '../match/version.js';
import { createFileExclusive, exists, withCatalogLock, writeFileAtomic } from './catalog-lock.js';
import {
  appendEntry,
  entryMessage,
  readCatalogFile,
  type CatalogFile,
  type NewEntry,
} from './catalog-document.js';
import { badRequest, conflict, invalid } from './errors.js';

/** The largest image an upload takes: the biggest OTA slot of any ESP32 flash layout is well below it. */
export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

export interface UploadRequest {
  readonly image: Uint8Array;
  /** The board glob the entry is for, as it will be written. */
  readonly board: string;
  readonly rollout?: number | undefined;
  readonly devices?: readonly string[] | undefined;
  readonly minVersion?: string | undefined;
  readonly force?: boolean | undefined;
}

/** What an upload adds (or, with `dry_run`, would add), in the API's shape. */
export interface UploadJson {
  readonly dry_run: boolean;
  readonly entry: {
    readonly entry_id: string;
    readonly board: string;
    readonly version: string;
    readonly file: string;
    readonly chip: string | null;
    readonly size: number;
    readonly sha256: string;
    readonly rollout: number;
    readonly devices: readonly string[] | null;
    readonly min_version: string | null;
    readonly force: boolean;
    readonly image: {
      readonly version: string;
      readonly project: string;
      readonly idf: string;
      readonly compiled: string;
    };
  };
}

/**
 * `<board>-<version>.bin`, every character a catalog file name cannot hold (the glob's `*` and `?`,
 * spaces, slashes) replaced by `_`.
 */
export function uploadFileName(board: string, version: string): string {
  return `${board.replace(/[^A-Za-z0-9._-]/g, '_')}-${version}.bin`;
}

interface Checked {
  readonly entry: NewEntry;
  readonly json: UploadJson['entry'];
  /** The catalog text with the entry appended. */
  readonly text: string;
  readonly file: CatalogFile;
}

/** Checks the upload against the catalog as it is now; throws what refuses it. Writes nothing. */
async function check(dir: string, env: Env, request: UploadRequest): Promise<Checked> {
  const board = request.board.trim();
  if (board === '')
    throw badRequest('`board` is required: the board (build name or glob) the image is for', 'board');
  if (request.image.length === 0) throw badRequest('the image is empty', 'image');
  if (request.image.length > MAX_IMAGE_BYTES)
    throw badRequest(`the image is ${request.image.length} bytes, more than ${MAX_IMAGE_BYTES}`, 'image');

  const kind = readAppImage(request.image.subarray(0, APP_IMAGE_HEADER_BYTES));
  let version = '0';
  if (kind.kind === 'app') {
    // The device compares versions by their leading digits (docs/device-contract.md §6): `2.0.4-rc1` is 2.0.4.
    const numbers = parseVersionNumbers(kind.info.version);
    if (numbers === null)
      throw invalid(
        `the image carries version "${kind.info.version}", which a device cannot compare with another; build it with a version such as 2.0.4`,
        'image',
      );
    version = numbers.join('.');
  }
  const name = uploadFileName(board, version);
  const entry: NewEntry = {
    board,
    version,
    file: name,
    rollout: request.rollout,
    devices: request.devices,
    min_version: request.minVersion,
    force: request.force,
  };

  const file = await readCatalogFile(dir, env);
  const index =
    file.document.contents === null ? 0 : (file.document.contents as { items: unknown[] }).items.length;
  const text = appendEntry(file, entry);
  // The keys as the loader reads them: the same definitions, the same messages.
  const parsed = parseCatalog(text, { file: file.path, env });
  const mine = `${CATALOG_PATH}[${index}]`;
  if (parsed.kind === 'unusable') throw invalid(parsed.issues.map((i) => i.message).join('; '));
  const raw = parsed.entries.find((e) => e.index === index);

  // The image first: a file that is no app image has no version to name it by.
  const sha256 = createHash('sha256').update(request.image).digest('hex');
  if (raw !== undefined || kind.kind !== 'app') {
    const verdict = validateEntry(
      (raw ?? probeEntry(name)) as RawCatalogEntry,
      {
        kind: 'file',
        path: join(dir, name),
        size: request.image.length,
        mtimeMs: 0,
        sha256,
        image: kind,
      },
      dir,
    );
    if (verdict.kind === 'problem')
      throw invalid(`refused: ${verdict.text.replaceAll(name, 'the image')}`, 'image');
  }

  const duplicate = file.entries.find(
    (e) =>
      e.board.toLowerCase() === board.toLowerCase() && parseVersionNumbers(e.version)?.join('.') === version,
  );
  if (duplicate !== undefined)
    throw conflict(
      `\`${CATALOG_PATH}[${duplicate.index}]\` already offers ${duplicate.board} ${duplicate.version}; change that entry instead`,
    );
  const sameFile = file.entries.find((e) => e.file === name);
  if (sameFile !== undefined)
    throw conflict(`\`${CATALOG_PATH}[${sameFile.index}]\` already names the file ${name}`);
  if (await exists(join(dir, name))) throw conflict(`${name} already exists in ${dir}; nothing was changed`);

  const problems = parsed.issues.filter((i) => i.path === mine || i.path.startsWith(`${mine}.`));
  if (raw === undefined || problems.length > 0) {
    const first = problems[0];
    const field = first?.path.slice(mine.length + 1).split(/[.[]/)[0] ?? null;
    throw invalid(
      problems.map((i) => entryMessage(i.message, mine)).join('; ') || 'the entry cannot be read back',
      field === '' ? null : field,
    );
  }
  const info = kind.kind === 'app' ? kind.info : null;
  return {
    entry,
    text,
    file,
    json: {
      entry_id: entryId(raw.board, raw.version),
      board: raw.board,
      version: raw.version,
      file: name,
      chip: info?.chip ?? null,
      size: request.image.length,
      sha256,
      rollout: raw.rollout,
      devices: raw.devices,
      min_version: raw.minVersion,
      force: raw.force,
      image: {
        version: info?.version ?? '',
        project: info?.projectName ?? '',
        idf: info?.idfVersion ?? '',
        compiled: info === null ? '' : `${info.compileDate} ${info.compileTime}`.trim(),
      },
    },
  };
}

/** Checks the upload and answers what it would add; nothing is written. */
export async function planUpload(dir: string, env: Env, request: UploadRequest): Promise<UploadJson> {
  const { json } = await check(dir, env, request);
  return { dry_run: true, entry: json };
}

/**
 * Checks and writes, under the catalog's lock: the image (created, never replacing a file), then the
 * catalog (replaced whole). A catalog write that fails takes the image back out.
 */
export function commitUpload(dir: string, env: Env, request: UploadRequest): Promise<UploadJson> {
  return withCatalogLock(dir, async () => {
    const { json, text, file } = await check(dir, env, request);
    const imagePath = join(dir, json.file);
    await createFileExclusive(imagePath, request.image);
    try {
      await writeFileAtomic(file.path, text);
    } catch (error) {
      await rm(imagePath, { force: true });
      throw error;
    }
    return { dry_run: false, entry: json };
  });
}

/** For an image that is no app image (no version to read): an entry the image check can judge it by. */
function probeEntry(file: string): RawCatalogEntry | undefined {
  const parsed = parseCatalog(`- board: upload\n  version: "0"\n  file: ${file}\n`, {
    file: 'upload',
    env: {},
  });
  return parsed.kind === 'parsed' ? parsed.entries[0] : undefined;
}
