/**
 * The operator's actions, once (docs/contributing.md §24; docs/fleet.md "Interfaces"): the JSON API
 * (src/admin/api/), the web console and the CLI all call these, so each action is checked, refused and
 * audited the same way whichever way it came. Every state-changing call writes one audit record (when,
 * what, on what, from which address, by which means); with the fleet off there is no audit store and the
 * record is only logged. Refusals are `OperationError`s (not found, conflict, invalid, bad request) the
 * API maps to 404/409/422/400 and the CLI to a message and a non-zero exit.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseDocument } from 'yaml';
import type { Env } from '../config/interpolate.js';
import type { Config } from '../config/types.js';
import { CATALOG_PATH, parseCatalog } from '../firmware/catalog-parse.js';
import type { Catalog, CatalogEntry } from '../firmware/types.js';
import type { AttemptJson, DeviceJson } from '../fleet/api-shapes.js';
import { deviceIdOf } from '../fleet/device-id.js';
import { entryId, entryIdOf } from '../fleet/entry-id.js';
import type { RolloutFigures } from '../fleet/rollout-figures.js';
import type { FleetService } from '../fleet/service.js';
import type { Actor } from '../fleet/types.js';
import { CATALOG_FILE, type CatalogStore } from '../runtime/catalog-store.js';
import { withCatalogLock, writeFileAtomic } from './catalog-lock.js';
import {
  changeEntry,
  entryMessage,
  findEntry,
  PATCHABLE_KEYS,
  readCatalogFile,
  type EntryChanges,
} from './catalog-document.js';
import { parseDeviceQuery } from './device-query.js';
import { badRequest, conflict, fleetOff, invalid, notFound } from './errors.js';
import { commitUpload, planUpload, type UploadJson, type UploadRequest } from './firmware-upload.js';

export type { Actor };

export interface OperationsDeps {
  /** The running (or the CLI's) configuration: `firmware.dir`, the fleet's settings. */
  config(): Config;
  /** Variables for `${VAR}` in catalog.yaml, as the catalog store reads it. */
  readonly env: Env;
  /** The live catalog; `null` without `firmware.dir`. */
  catalog(): CatalogStore | null;
  /** The fleet; `null` when `fleet.enabled` is false. */
  fleet(): FleetService | null;
  readonly logger: Logger;
}

/** `GET /admin/api/devices`: one page. */
export interface DevicePageJson {
  readonly total: number;
  readonly items: readonly DeviceJson[];
  readonly next: string | null;
}

export interface DeviceDetailJson {
  readonly device: DeviceJson;
  readonly attempts: readonly AttemptJson[];
}

/** One catalog entry as `GET /admin/api/catalog` shows it, with its image check. */
export interface CatalogEntryJson {
  /** `null` for an entry whose board or version cannot be read. */
  readonly entry_id: string | null;
  /** Its place in catalog.yaml (0-based). */
  readonly index: number;
  readonly board: string | null;
  readonly version: string | null;
  readonly file: string | null;
  /** `ok`: offered as configured; `skipped`: left out, `problems` say why. */
  readonly check: 'ok' | 'skipped';
  readonly problems: readonly string[];
  readonly url: string | null;
  readonly sha256: string | null;
  readonly size: number | null;
  readonly rollout: number | null;
  readonly devices: readonly string[] | null;
  readonly exclude: readonly string[];
  readonly min_version: string | null;
  readonly force: boolean;
  readonly chip: string | null;
  readonly image: {
    readonly version: string;
    readonly project: string;
    readonly idf: string;
    readonly compiled: string;
  } | null;
}

export interface CatalogJson {
  /** A load succeeded: the entries below are offered. */
  readonly loaded: boolean;
  readonly entries: readonly CatalogEntryJson[];
  /** Problems of the file as a whole (the last load could not use it), newest load's. */
  readonly problems: readonly string[];
}

/** Halt or resume names its entry by `entry_id`, or by board (as written) and version. */
export type EntryRef = { readonly entryId: string } | { readonly board: string; readonly version: string };

export interface Operations {
  listDevices(params: Readonly<Record<string, string | undefined>>): Promise<DevicePageJson>;
  showDevice(device: string): Promise<DeviceDetailJson>;
  unblock(
    device: string,
    entryId: string | null,
    actor: Actor,
  ): Promise<{ readonly device: string; readonly cleared: readonly string[] }>;
  rollouts(): Promise<readonly RolloutFigures[]>;
  halt(ref: EntryRef, actor: Actor, reason?: string): Promise<RolloutFigures | { readonly entry_id: string }>;
  resume(ref: EntryRef, actor: Actor): Promise<RolloutFigures | { readonly entry_id: string }>;
  catalog(): Promise<CatalogJson>;
  patchEntry(entryId: string, body: unknown, actor: Actor): Promise<CatalogEntryJson>;
  upload(request: UploadRequest, options: { readonly dryRun: boolean }, actor: Actor): Promise<UploadJson>;
  auditLog(params: { readonly limit?: number; readonly before?: number | null }): Promise<readonly unknown[]>;
  /** The entry id a reference names (by board and version: as the catalog writes it). */
  resolve(ref: EntryRef): string;
}

const ENTRY_ID = /^[0-9a-f]{12}$/;

export function createOperations(deps: OperationsDeps): Operations {
  const { logger } = deps;

  const fleet = (): FleetService => {
    const service = deps.fleet();
    if (service === null) throw fleetOff();
    return service;
  };

  const catalogStore = (): { store: CatalogStore; dir: string } => {
    const store = deps.catalog();
    const dir = deps.config().firmware.dir;
    if (store === null || dir === null)
      throw notFound('no firmware catalog: `firmware.dir` is not set in the configuration');
    return { store, dir };
  };

  /** One audit record: in the fleet's store when it is on, always in the log. */
  const audit = async (
    action: string,
    target: string,
    detail: Readonly<Record<string, unknown>>,
    actor: Actor,
  ): Promise<void> => {
    logger.info(
      { action, target, means: actor.means, address: actor.address, detail },
      `operator: ${action}`,
    );
    const service = deps.fleet();
    if (service === null) return;
    try {
      await service.audit(action, target, detail, actor);
    } catch (err) {
      // The change is made (a file written): failing the answer would tell the operator it was not.
      logger.error(
        { err, action, target, means: actor.means },
        'audit record not written: the fleet store is not reachable; the change above stands',
      );
    }
  };

  const device = (text: string): string => {
    const id = deviceIdOf(text);
    if (id === null) throw badRequest(`"${text}" is not a device id (a MAC such as aa:bb:cc:dd:ee:ff)`, 'id');
    return id;
  };

  const resolve = (ref: EntryRef): string => {
    if ('entryId' in ref) {
      const id = ref.entryId.trim().toLowerCase();
      if (!ENTRY_ID.test(id))
        throw badRequest(
          `"${ref.entryId}" is not an entry_id (12 hex digits; see GET /admin/api/catalog)`,
          'entry_id',
        );
      return id;
    }
    // As the catalog writes it (the id hashes the board as written), else as typed.
    const entry = deps
      .catalog()
      ?.current()
      ?.entries.find((e) => e.board.toLowerCase() === ref.board.toLowerCase() && e.version === ref.version);
    return entry === undefined ? entryId(ref.board, ref.version) : entryIdOf(entry);
  };

  const figuresOf = async (id: string): Promise<RolloutFigures | undefined> =>
    (await fleet().rollouts(deps.catalog()?.current() ?? null)).find((r) => r.entry_id === id);

  return {
    resolve,

    async listDevices(params) {
      const query = parseDeviceQuery(params);
      return fleet().listDevices(query);
    },

    async showDevice(text) {
      const id = device(text);
      const found = await fleet().showDevice(id);
      if (found === null) throw notFound(`no device ${id} has been seen`);
      return found;
    },

    async unblock(text, entry, actor) {
      const id = device(text);
      const service = fleet();
      const known = await service.showDevice(id);
      if (known === null) throw notFound(`no device ${id} has been seen`);
      const only = entry === null ? null : resolve({ entryId: entry });
      if (only !== null && !known.device.blocked.some((b) => b.entry_id === only))
        throw notFound(`device ${id} is not blocked from entry ${only}`);
      const done = await service.unblock(id, only, actor);
      if (done === null) throw notFound(`no device ${id} has been seen`);
      return done;
    },

    async rollouts() {
      return fleet().rollouts(deps.catalog()?.current() ?? null);
    },

    async halt(ref, actor, reason = 'halted by an operator') {
      const service = fleet();
      const id = resolve(ref);
      const entry = entryById(deps.catalog()?.current() ?? null, id);
      if (entry === undefined) throw notFound(`no catalog entry has entry_id ${id}`);
      const done = await service.halt(
        { entryId: id, board: entry.board, version: entry.version },
        actor,
        reason,
      );
      if (!done) throw conflict(`${entry.board} ${entry.version} (${id}) is halted already`);
      return (await figuresOf(id)) ?? { entry_id: id };
    },

    async resume(ref, actor) {
      const service = fleet();
      const id = resolve(ref);
      // An entry removed from the catalog may still be halted: it can be resumed by its id.
      const done = await service.resume(id, actor);
      if (!done) {
        const known = entryById(deps.catalog()?.current() ?? null, id);
        if (known === undefined && !(await service.rollouts(null)).some((r) => r.entry_id === id))
          throw notFound(`no catalog entry has entry_id ${id}, and no halted rollout either`);
        throw conflict(
          `${known === undefined ? id : `${known.board} ${known.version} (${id})`} is not halted`,
        );
      }
      return (await figuresOf(id)) ?? { entry_id: id };
    },

    async catalog() {
      const { store, dir } = catalogStore();
      return catalogJson(dir, store);
    },

    async patchEntry(id, body, actor) {
      const { store, dir } = catalogStore();
      const target = resolve({ entryId: id });
      const changes = readChanges(body);
      const before = await withCatalogLock(dir, async () => {
        const file = await readCatalogFile(dir, deps.env);
        const entry = findEntry(file, target);
        if (entry === undefined) throw notFound(`no catalog entry has entry_id ${target}`);
        const text = changeEntry(file, entry.index, changes);
        const parsed = parseCatalog(text, { file: file.path, env: deps.env });
        const path = `${CATALOG_PATH}[${entry.index}]`;
        const problems =
          parsed.kind === 'parsed'
            ? parsed.issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`))
            : parsed.issues;
        if (problems.length > 0) {
          const field = problems[0]?.path.slice(path.length + 1).split(/[.[]/)[0] ?? '';
          throw invalid(
            problems.map((i) => entryMessage(i.message, path)).join('; '),
            field === '' ? null : field,
          );
        }
        await writeFileAtomic(file.path, text);
        return {
          rollout: entry.rollout,
          devices: entry.devices,
          exclude: entry.exclude,
          min_version: entry.minVersion,
        };
      });
      await store.reload();
      await audit('catalog.patch', target, { changes, before }, actor);
      const shown = (await catalogJson(dir, store)).entries.find((e) => e.entry_id === target);
      if (shown === undefined) throw notFound(`entry ${target} is no longer in the catalog`);
      return shown;
    },

    async upload(request, { dryRun }, actor) {
      const { store, dir } = catalogStore();
      if (dryRun) return planUpload(dir, deps.env, request);
      const result = await commitUpload(dir, deps.env, request);
      await store.reload();
      await audit(
        'firmware.upload',
        result.entry.entry_id,
        {
          board: result.entry.board,
          version: result.entry.version,
          file: result.entry.file,
          sha256: result.entry.sha256,
          size: result.entry.size,
          rollout: result.entry.rollout,
          devices: result.entry.devices,
          min_version: result.entry.min_version,
          force: result.entry.force,
        },
        actor,
      );
      return result;
    },

    async auditLog({ limit = 100, before = null }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw badRequest(`\`limit\` must be a whole number from 1 to 500 (got "${limit}")`, 'limit');
      return fleet().auditLog(limit, before);
    },
  };
}

function entryById(catalog: Catalog | null, id: string): CatalogEntry | undefined {
  return catalog?.entries.find((e) => entryIdOf(e) === id);
}

/** The PATCH body: only the patchable keys, each of its type; `null` restores a key's default. */
function readChanges(body: unknown): EntryChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(`the body must be a JSON object with any of ${PATCHABLE_KEYS.join(', ')}`, 'body');
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!(PATCHABLE_KEYS as readonly string[]).includes(key))
      throw badRequest(`\`${key}\` cannot be changed here; only ${PATCHABLE_KEYS.join(', ')}`, key);
    if (value === null) {
      changes[key] = null;
    } else if (key === 'rollout') {
      if (typeof value !== 'number') throw invalid('`rollout` must be a number from 0 to 100', key);
      changes[key] = value;
    } else if (key === 'min_version') {
      if (typeof value !== 'string')
        throw invalid('`min_version` must be a version in a string, such as "1.6.0"', key);
      changes[key] = value;
    } else {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || !list.every((v) => typeof v === 'string'))
        throw invalid(`\`${key}\` must be a list of MAC addresses`, key);
      changes[key] = list;
    }
  }
  if (Object.keys(changes).length === 0)
    throw badRequest(`nothing to change: send any of ${PATCHABLE_KEYS.join(', ')}`, 'body');
  return changes as EntryChanges;
}

/**
 * The catalog in use with each entry's check: the valid entries as loaded, and the skipped ones with the
 * load's reasons (board, version and file read from the file as written).
 */
async function catalogJson(dir: string, store: CatalogStore): Promise<CatalogJson> {
  const catalog = store.current();
  const status = store.status();
  const entries = new Map<number, CatalogEntryJson>();
  for (const entry of catalog?.entries ?? []) entries.set(entry.index, loadedEntryJson(entry));
  const skipped = new Map<number, string[]>();
  for (const issue of status.skipped.issues) {
    const index = /^catalog\[(\d+)\]/.exec(issue.path)?.[1];
    if (index === undefined) continue;
    const list = skipped.get(Number(index)) ?? [];
    list.push(issue.message);
    skipped.set(Number(index), list);
  }
  if (skipped.size > 0) {
    const written = await writtenEntries(dir);
    for (const [index, problems] of skipped) {
      if (entries.has(index)) continue;
      const w = written.get(index);
      entries.set(index, {
        entry_id: w?.board && w.version ? entryId(w.board, w.version) : null,
        index,
        board: w?.board ?? null,
        version: w?.version ?? null,
        file: w?.file ?? null,
        check: 'skipped',
        problems,
        url: null,
        sha256: null,
        size: null,
        rollout: null,
        devices: null,
        exclude: [],
        min_version: null,
        force: false,
        chip: null,
        image: null,
      });
    }
  }
  const last = status.lastLoad;
  return {
    loaded: status.loaded,
    entries: [...entries.values()].sort((a, b) => a.index - b.index),
    problems: last !== null && !last.ok ? last.issues.map((i) => i.message) : [],
  };
}

function loadedEntryJson(entry: CatalogEntry): CatalogEntryJson {
  return {
    entry_id: entryIdOf(entry),
    index: entry.index,
    board: entry.board,
    version: entry.version,
    file: entry.file,
    check: 'ok',
    problems: [],
    url: entry.url?.source ?? null,
    sha256: entry.sha256,
    size: entry.size,
    rollout: entry.rollout,
    devices: entry.devices,
    exclude: entry.exclude,
    min_version: entry.minVersion,
    force: entry.force,
    chip: entry.image.chip,
    image: {
      version: entry.image.version,
      project: entry.image.projectName,
      idf: entry.image.idfVersion,
      compiled: `${entry.image.compileDate} ${entry.image.compileTime}`.trim(),
    },
  };
}

/** Board, version and file of every list item as written (for entries the loader skipped). */
async function writtenEntries(
  dir: string,
): Promise<Map<number, { board?: string; version?: string; file?: string }>> {
  const out = new Map<number, { board?: string; version?: string; file?: string }>();
  let text: string;
  try {
    text = await readFile(join(dir, CATALOG_FILE), 'utf8');
  } catch {
    return out;
  }
  const contents = parseDocument(text).toJS() as unknown;
  if (!Array.isArray(contents)) return out;
  contents.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) return;
    const read = (key: string): string | undefined => {
      const value = (item as Record<string, unknown>)[key];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    };
    out.set(index, {
      ...(read('board') === undefined ? {} : { board: read('board') as string }),
      ...(read('version') === undefined ? {} : { version: read('version') as string }),
      ...(read('file') === undefined ? {} : { file: read('file') as string }),
    });
  });
  return out;
}
