/**
 * One edit of a catalog at a time (docs/fleet.md "Interfaces": upload, an atomic write, one append at a
 * time): edits in this process queue per catalog, and a lock file beside catalog.yaml keeps a CLI command
 * and a running proxy (or two replicas on a shared volume) from interleaving. Files are replaced whole
 * (a temporary file, then a rename): a reader sees the old catalog or the new one, never half of it.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OperationError, conflict } from './errors.js';

/** The lock file's name in firmware.dir. A dot file: never a catalog file name's concern. */
export const LOCK_FILE = '.catalog.yaml.lock';

export interface LockOptions {
  /** How long to wait for another process's lock before refusing (ms). */
  readonly waitMs?: number;
  /** A lock file older than this was left by a process that died mid-edit: it is taken over (ms). */
  readonly staleMs?: number;
}

/** The tail of each catalog's in-process queue, by folder. */
const queues = new Map<string, Promise<unknown>>();

/** Runs `edit` once every earlier edit of the folder's catalog (this process and others) has finished. */
export function withCatalogLock<T>(
  dir: string,
  edit: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const previous = queues.get(dir) ?? Promise.resolve();
  const run = previous.then(
    () => holdingLockFile(dir, edit, options),
    () => holdingLockFile(dir, edit, options),
  );
  const tail = run.catch(() => undefined);
  queues.set(dir, tail);
  void tail.then(() => {
    if (queues.get(dir) === tail) queues.delete(dir);
  });
  return run;
}

async function holdingLockFile<T>(
  dir: string,
  edit: () => Promise<T>,
  { waitMs = 10_000, staleMs = 30_000 }: LockOptions,
): Promise<T> {
  const path = join(dir, LOCK_FILE);
  const started = Date.now();
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${new Date().toISOString()}\n`);
      await handle.close();
      break;
    } catch (error) {
      if (code(error) !== 'EEXIST') throw error;
    }
    const age = await lockAge(path);
    if (age !== null && age > staleMs) {
      // Two waiters may both remove it; the exclusive create above lets only one of them in.
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() - started > waitMs)
      throw new OperationError(
        'CATALOG_BUSY',
        `another process is editing ${join(dir, 'catalog.yaml')} (${path} exists); try again, or remove the lock file if no edit is running`,
      );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  try {
    return await edit();
  } finally {
    await rm(path, { force: true });
  }
}

async function lockAge(path: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

/** Replaces `path` whole: written to a temporary file in the same folder, flushed, then renamed over it. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = temporaryName(path);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Creates `path` with `data`, refusing when it exists (409), whole or not at all: written aside, then
 * hard-linked into place (a link never replaces a file); where links are not supported, renamed after a
 * check (the catalog lock keeps our own edits from racing).
 */
export async function createFileExclusive(path: string, data: Uint8Array): Promise<void> {
  const temp = temporaryName(path);
  const handle = await open(temp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
    } catch (error) {
      if (code(error) === 'EEXIST') throw existing(path);
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS'].includes(code(error))) throw error;
      if (await exists(path)) throw existing(path);
      await rename(temp, path);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
}

function existing(path: string): OperationError {
  return conflict(`${basename(path)} already exists in ${dirname(path)}; nothing was changed`);
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

export function code(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : '';
}
