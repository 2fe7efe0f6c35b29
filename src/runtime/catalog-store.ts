/**
 * The live firmware catalog: reads `<firmware.dir>/catalog.yaml`, inspects every entry's file (app image
 * header, size, sha256), and swaps the result in whole (docs/configuration.md "Catalog", Reload). Watches the folder
 * and polls it, because file events are unreliable on Docker bind mounts.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import type { Env } from '../config/interpolate.js';
import type { ConfigIssue } from '../errors.js';
import { APP_IMAGE_HEADER_BYTES, readAppImage, type AppImageKind } from '../firmware/app-image.js';
import { CATALOG_PATH, parseCatalog } from '../firmware/catalog-parse.js';
import type { RawCatalogEntry } from '../firmware/catalog-parse.js';
import { validateCatalog } from '../firmware/catalog-validate.js';
import type { FileFacts } from '../firmware/catalog-validate.js';
import type { Catalog } from '../firmware/types.js';

/** The catalog's file name inside firmware.dir. */
export const CATALOG_FILE = 'catalog.yaml';

export interface CatalogStoreOptions {
  /** firmware.dir, absolute. */
  readonly dir: string;
  /** Variables for `${VAR}` in catalog.yaml. */
  readonly env: Env;
  readonly logger: Logger;
  /** How often `watch()` stats catalog.yaml and the entries' files. */
  readonly pollMs?: number;
  /** Quiet time after the last change before reloading (a copy in progress fires many events). */
  readonly debounceMs?: number;
  /** Told after every load, whatever started it (for /metrics). */
  readonly onLoad?: (result: CatalogLoadResult, trigger: string) => void;
  /** Milliseconds since the epoch, for `status().lastLoad.at`; tests pin it. */
  readonly now?: () => number;
}

export interface CatalogLoadResult {
  /** `false`: catalog.yaml is missing or does not parse; the previous catalog (if any) stays. */
  readonly ok: boolean;
  /** Every problem: the fatal ones when `ok` is false, the skipped entries otherwise. */
  readonly issues: readonly ConfigIssue[];
}

/** What the last loads found, for /readyz and /metrics: problems are shown there, not only logged. */
export interface CatalogStatus {
  /** A load succeeded: `current()` is a catalog. */
  readonly loaded: boolean;
  /** Valid entries in the catalog in use. */
  readonly entries: number;
  /** The entries the catalog in use left out, and why (the issues of the load that built it). */
  readonly skipped: { readonly entries: number; readonly issues: readonly ConfigIssue[] };
  /** The last load, whatever started it; `ok: false` kept the previous catalog (its issues say why). */
  readonly lastLoad: {
    readonly at: number;
    readonly trigger: string;
    readonly ok: boolean;
    readonly issues: readonly ConfigIssue[];
  } | null;
}

export interface CatalogStore {
  /** The catalog in use; `null` until a load succeeded. */
  current(): Catalog | null;
  /** The catalog in use's skipped entries and the last load's result. */
  status(): CatalogStatus;
  /** The first load. `ok: false` at start-up is a start-up error for the caller. */
  load(): Promise<CatalogLoadResult>;
  /** Loads again (SIGHUP, a change); concurrent calls share one run, a call during a run queues one more. */
  reload(): Promise<CatalogLoadResult>;
  /** Starts watching the folder and polling the files; reloads on a change. */
  watch(): void;
  /** Stops watching; the current catalog stays readable. */
  close(): void;
}

interface CachedFile {
  readonly signature: string;
  readonly sha256: string;
  readonly image: AppImageKind;
}

/** Creates the store; nothing is read until `load()`. */
export function createCatalogStore({
  dir,
  env,
  logger,
  pollMs = 2000,
  debounceMs = 300,
  onLoad,
  now = Date.now,
}: CatalogStoreOptions): CatalogStore {
  const catalogPath = join(dir, CATALOG_FILE);
  let catalog: Catalog | null = null;
  /** The issues of the load that built `catalog`: its skipped entries. */
  let skipped: readonly ConfigIssue[] = [];
  let lastLoad: CatalogStatus['lastLoad'] = null;
  /** Hashes by real path, reused while size, mtime, ctime and inode stay the same (constant work per reload). */
  let hashes = new Map<string, CachedFile>();
  /** What each watched path looked like when the last load read it: the poll compares against this. */
  let observed = new Map<string, string>();
  let running: Promise<CatalogLoadResult> | null = null;
  /**
   * One hashing buffer per store: a read stream allocates a fresh 64 KiB buffer per chunk, and the allocator
   * keeps that memory (RSS) long after it is collected. Loads are serialised and entries inspected one at
   * a time, so it is never read into twice at once; a second store (tests, a firmware.dir reload) has its own.
   */
  const hashBuffer = Buffer.allocUnsafe(64 * 1024);
  let queued: Promise<CatalogLoadResult> | null = null;
  let loadedOnce = false;
  let watcher: FSWatcher | null = null;
  let poller: NodeJS.Timeout | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let polling = false;
  let closed = false;

  /** One load, its result remembered for `status()` and reported to `onLoad`. */
  async function loadOnce(trigger: string): Promise<CatalogLoadResult> {
    const result = await readCatalog(trigger);
    lastLoad = { at: now(), trigger, ok: result.ok, issues: result.issues };
    if (result.ok) skipped = result.issues;
    onLoad?.(result, trigger);
    return result;
  }

  async function readCatalog(trigger: string): Promise<CatalogLoadResult> {
    const seen = new Map<string, string>();
    seen.set(catalogPath, await signatureOf(catalogPath));
    let text: string;
    try {
      text = await readFile(catalogPath, 'utf8');
    } catch (err) {
      const reason =
        errorCode(err) === 'ENOENT'
          ? `${dir} has no ${CATALOG_FILE} (an empty file is an empty catalog)`
          : `cannot read ${catalogPath}: ${errorCode(err)}`;
      observed = seen;
      return failed(trigger, [{ path: 'catalog', message: reason, file: catalogPath, line: 0, col: 0 }]);
    }
    const parsed = parseCatalog(text, { file: catalogPath, env });
    if (parsed.kind === 'unusable') {
      observed = seen;
      return failed(trigger, parsed.issues);
    }
    const facts = new Map<string, FileFacts>();
    const nextHashes = new Map<string, CachedFile>();
    for (const entry of parsed.entries) {
      if (facts.has(entry.file)) continue;
      const path = join(dir, entry.file);
      seen.set(path, await signatureOf(path));
      facts.set(entry.file, await inspect(entry, nextHashes));
    }
    const { catalog: next, issues: fileIssues } = validateCatalog({
      entries: parsed.entries,
      facts,
      file: catalogPath,
      dir,
    });
    const issues = [...parsed.issues, ...fileIssues];
    // Swapped in one assignment: a request sees the old catalog or the new one, never a mix.
    catalog = next;
    hashes = nextHashes;
    observed = seen;
    loadedOnce = true;
    for (const issue of issues)
      logger.warn({ path: issue.path, line: issue.line, col: issue.col }, issue.message);
    logger.info(
      {
        trigger,
        entries: next.entries.map((e) => ({
          board: e.board,
          version: e.version,
          file: e.file,
          chip: e.image.chip,
          size: e.size,
          rollout: e.rollout,
          force: e.force,
        })),
        skipped: issues.length,
      },
      `firmware catalog loaded: ${next.entries.length} entr${next.entries.length === 1 ? 'y' : 'ies'}${issues.length > 0 ? `, ${issues.length} problem${issues.length === 1 ? '' : 's'}` : ''}`,
    );
    return { ok: true, issues };
  }

  function failed(trigger: string, issues: readonly ConfigIssue[]): CatalogLoadResult {
    // At start-up the caller reports the failure (and exits); afterwards it is ours to log.
    if (loadedOnce) {
      logger.error(
        { trigger, issues: issues.map((i) => i.message) },
        `firmware catalog not reloaded: ${CATALOG_FILE} cannot be used; keeping the previous catalog`,
      );
    }
    return { ok: false, issues };
  }

  /** Size, sha256 and header of an entry's file, from one descriptor; the hash streams (constant memory). */
  async function inspect(entry: RawCatalogEntry, nextHashes: Map<string, CachedFile>): Promise<FileFacts> {
    const path = join(dir, entry.file);
    let real: string;
    let realDir: string;
    try {
      [real, realDir] = await Promise.all([realpath(path), realpath(dir)]);
    } catch (err) {
      return errorCode(err) === 'ENOENT'
        ? { kind: 'missing' }
        : { kind: 'unreadable', reason: errorCode(err) };
    }
    const rel = relative(realDir, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { kind: 'outside-dir', resolved: real };
    let fd: FileHandle;
    try {
      fd = await open(real, 'r');
    } catch (err) {
      return { kind: 'unreadable', reason: errorCode(err) };
    }
    try {
      const before = await fd.stat();
      if (!before.isFile()) return { kind: 'not-a-file' };
      const signature = signatureFromStat(before);
      const cached = hashes.get(real) ?? nextHashes.get(real);
      if (cached !== undefined && cached.signature === signature) {
        nextHashes.set(real, cached);
        return {
          kind: 'file',
          path: real,
          size: before.size,
          mtimeMs: before.mtimeMs,
          sha256: cached.sha256,
          image: cached.image,
        };
      }
      const header = Buffer.alloc(Math.min(before.size, APP_IMAGE_HEADER_BYTES));
      if (header.length > 0) await fd.read(header, 0, header.length, 0);
      const hash = createHash('sha256');
      for (let position = 0; ;) {
        const { bytesRead } = await fd.read(hashBuffer, 0, hashBuffer.length, position);
        if (bytesRead === 0) break;
        hash.update(hashBuffer.subarray(0, bytesRead));
        position += bytesRead;
      }
      const after = await fd.stat();
      // A file still being copied: skip it this time; the poll sees it change and reloads.
      if (signatureFromStat(after) !== signature)
        return { kind: 'unreadable', reason: 'it changed while being read' };
      const sha256 = hash.digest('hex');
      // Classified once while the bytes are at hand; only the verdict is cached (the header is 36 KiB).
      const image = readAppImage(header);
      nextHashes.set(real, { signature, sha256, image });
      return { kind: 'file', path: real, size: before.size, mtimeMs: before.mtimeMs, sha256, image };
    } catch (err) {
      return { kind: 'unreadable', reason: errorCode(err) };
    } finally {
      await fd.close().catch(() => undefined);
    }
  }

  function run(trigger: string): Promise<CatalogLoadResult> {
    if (running === null) {
      running = loadOnce(trigger).finally(() => {
        running = null;
      });
      return running;
    }
    // A change during a load may have been missed by it: run once more after it, for every caller meanwhile.
    queued ??= running.then(
      () => {
        queued = null;
        return run(trigger);
      },
      () => {
        queued = null;
        return run(trigger);
      },
    );
    return queued;
  }

  function schedule(trigger: string): void {
    if (closed) return;
    if (debounce !== null) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      run(trigger).catch((err: unknown) => logger.error({ err }, 'firmware catalog reload failed'));
    }, debounceMs);
    debounce.unref();
  }

  async function poll(): Promise<void> {
    if (polling || closed || running !== null) return;
    polling = true;
    try {
      for (const [path, signature] of observed) {
        if ((await signatureOf(path)) !== signature) {
          schedule(`${relative(dir, path)} changed`);
          return;
        }
      }
    } finally {
      polling = false;
    }
  }

  return {
    current: () => catalog,
    status: () => ({
      loaded: catalog !== null,
      entries: catalog?.entries.length ?? 0,
      skipped: { entries: skippedEntries(skipped), issues: skipped },
      lastLoad,
    }),
    load: () => run('start'),
    reload: () => run('reload'),
    watch() {
      if (closed || poller !== null) return;
      poller = setInterval(() => void poll(), pollMs);
      poller.unref();
      try {
        watcher = watch(dir, { persistent: false }, (_event, name) =>
          schedule(`${name ?? 'firmware.dir'} changed`),
        );
        // Watching is a shortcut only; polling alone still sees every change.
        watcher.on('error', (err) => {
          logger.debug({ err }, 'firmware.dir watch failed; polling only');
          watcher?.close();
          watcher = null;
        });
      } catch (err) {
        logger.debug({ err }, 'firmware.dir cannot be watched; polling only');
      }
    },
    close() {
      closed = true;
      watcher?.close();
      watcher = null;
      if (poller !== null) clearInterval(poller);
      poller = null;
      if (debounce !== null) clearTimeout(debounce);
      debounce = null;
    },
  };
}

/** An issue's path inside an entry: `catalog[2]`, `catalog[2].version`. */
const ENTRY_PATH = new RegExp(`^${CATALOG_PATH}\\[(\\d+)\\]`);

/**
 * How many entries the issues name: an entry with several problems is skipped once (issue paths are
 * `catalog[2].version`); an issue of the file as a whole names no entry.
 */
export function skippedEntries(issues: readonly ConfigIssue[]): number {
  const entries = new Set<string>();
  for (const issue of issues) {
    const entry = ENTRY_PATH.exec(issue.path);
    if (entry !== null) entries.add(entry[1] ?? '');
  }
  return entries.size;
}

/** What a path looks like now: changes whenever its content could have (`missing` when absent). */
async function signatureOf(path: string): Promise<string> {
  try {
    return signatureFromStat(await stat(path));
  } catch (err) {
    return errorCode(err) === 'ENOENT' ? 'missing' : `error:${errorCode(err)}`;
  }
}

function signatureFromStat(s: { size: number; mtimeMs: number; ctimeMs: number; ino: number }): string {
  // ctime and inode too: `cp -p` keeps mtime, and a rename swaps the inode.
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
}

function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return err instanceof Error ? err.message : String(err);
}
