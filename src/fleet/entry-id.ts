/** Catalog entries' stable identity (docs/fleet.md "Update attempts": `entry_id`). */
import { createHash } from 'node:crypto';
import type { CatalogEntry } from '../firmware/types.js';

/** The first 12 hex digits of `sha256("<board as written>|<version>")`: editing board or version makes a new entry. */
export function entryId(board: string, version: string): string {
  return createHash('sha256').update(`${board}|${version}`, 'utf8').digest('hex').slice(0, 12);
}

/** Loaded entries never change (a reload swaps the catalog): the id is computed once per entry. */
const ids = new WeakMap<CatalogEntry, string>();

/** The id of a loaded catalog entry, memoised (hot path: the gate asks per eligible entry). */
export function entryIdOf(entry: CatalogEntry): string {
  let id = ids.get(entry);
  if (id === undefined) {
    id = entryId(entry.board, entry.version);
    ids.set(entry, id);
  }
  return id;
}
