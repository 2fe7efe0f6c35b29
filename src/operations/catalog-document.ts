/**
 * catalog.yaml as an editable document: entries are appended and changed through the `yaml` package's
 * Document API, so every comment, blank line and quoting the operator wrote stays where it was
 * (docs/fleet.md "Interfaces": upload keeps the catalog's comments). Whether the result is a valid
 * catalog is judged by the loader's own parser (firmware/catalog-parse.ts), never by a copy of its rules.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Document, isMap, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { Env } from '../config/interpolate.js';
import { CATALOG_PATH, parseCatalog, type RawCatalogEntry } from '../firmware/catalog-parse.js';
import { entryId } from '../fleet/entry-id.js';
import { CATALOG_FILE } from '../runtime/catalog-store.js';
import { code } from './catalog-lock.js';
import { conflict, invalid } from './errors.js';

/** The keys an entry is written with, in this order (docs/configuration.md "Catalog"). */
export interface NewEntry {
  readonly board: string;
  readonly version: string;
  readonly file: string;
  readonly rollout?: number | undefined;
  readonly devices?: readonly string[] | undefined;
  readonly min_version?: string | undefined;
  readonly force?: boolean | undefined;
}

/** The keys `PATCH /admin/api/catalog/{entry_id}` may change; `null` removes the key (its default). */
export interface EntryChanges {
  readonly rollout?: number | null;
  readonly devices?: readonly string[] | null;
  readonly exclude?: readonly string[] | null;
  readonly min_version?: string | null;
}

export const PATCHABLE_KEYS = ['rollout', 'devices', 'exclude', 'min_version'] as const;

/** The catalog file as read for an edit: its text, its document and its entries as the loader reads them. */
export interface CatalogFile {
  readonly path: string;
  /** `''` when the file does not exist yet (an empty catalog). */
  readonly text: string;
  readonly exists: boolean;
  readonly document: Document;
  readonly entries: readonly RawCatalogEntry[];
}

export async function readCatalogFile(dir: string, env: Env): Promise<CatalogFile> {
  const path = join(dir, CATALOG_FILE);
  let text = '';
  let exists = true;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (code(error) !== 'ENOENT') throw error;
    exists = false;
  }
  const parsed = parseCatalog(text, { file: path, env });
  if (parsed.kind === 'unusable')
    throw conflict(
      `${path} cannot be used, so it is not edited: ${parsed.issues.map((i) => i.message).join('; ')}`,
    );
  const document = parseDocument(text, { keepSourceTokens: false });
  if (document.contents !== null && !isSeq(document.contents))
    throw conflict(`${path} is not a list of entries, so it is not edited`);
  return { path, text, exists, document, entries: parsed.entries };
}

/** The loader's entry with this `entry_id` (board as written and version), or `undefined`. */
export function findEntry(file: CatalogFile, id: string): RawCatalogEntry | undefined {
  return file.entries.find((e) => entryId(e.board, e.version) === id);
}

/**
 * The text with `entry` appended as the last list item. A block list keeps every byte of the file: the
 * entry, serialised through the Document API, is added after it at the list's indentation. An empty file,
 * a comments-only one or a flow list (`[]`) is rewritten through the document (comments kept).
 */
export function appendEntry(file: CatalogFile, entry: NewEntry): string {
  const node = new YAMLMap();
  node.set('board', entry.board);
  node.set('version', quoted(entry.version));
  node.set('file', entry.file);
  if (entry.rollout !== undefined) node.set('rollout', entry.rollout);
  if (entry.devices !== undefined) node.set('devices', flowList(entry.devices));
  if (entry.min_version !== undefined) node.set('min_version', quoted(entry.min_version));
  if (entry.force === true) node.set('force', true);

  const current = file.document.contents;
  if (isSeq(current) && !current.flow && current.items.length > 0 && current.range) {
    const item = new Document();
    const list = new YAMLSeq();
    list.items.push(node);
    item.contents = list;
    const start = current.range[0];
    const column = start - (file.text.lastIndexOf('\n', start - 1) + 1);
    const indent = ' '.repeat(column);
    const piece = endsWithNewline(item.toString())
      .split('\n')
      .map((line) => (line === '' ? line : indent + line))
      .join('\n');
    return `${endsWithNewline(file.text)}${piece}`;
  }

  const document = file.document.clone();
  if (document.contents === null) {
    const list = new YAMLSeq();
    list.items.push(node);
    document.contents = list;
  } else {
    const list = document.contents as YAMLSeq;
    // `[]` is a flow list; entries read better as a block list.
    list.flow = false;
    list.items.push(node);
  }
  return endsWithNewline(document.toString());
}

/**
 * The text with the changes applied to the entry at `index`, through the document: every comment stays
 * where it was; the `yaml` package writes spacing its own way (one space before a `#`).
 */
export function changeEntry(file: CatalogFile, index: number, changes: EntryChanges): string {
  const document = file.document.clone();
  const item = (document.contents as YAMLSeq).items[index];
  if (!isMap(item)) throw invalid(`\`${CATALOG_PATH}[${index}]\` is not an entry`);
  for (const key of PATCHABLE_KEYS) {
    if (!(key in changes)) continue;
    const value = changes[key];
    if (value === null || value === undefined) {
      item.delete(key);
    } else if (key === 'min_version') {
      item.set(key, quoted(value as string));
    } else if (key === 'devices' || key === 'exclude') {
      item.set(key, flowList(value as readonly string[]));
    } else {
      item.set(key, value);
    }
  }
  return endsWithNewline(document.toString());
}

/** A file that ends in a line break, as editors write it (a comments-only file can lose its last one). */
function endsWithNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A version in double quotes, as the catalog asks (`1.10` unquoted is the number 1.1). */
function quoted(text: string): Scalar {
  const scalar = new Scalar(text);
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

function flowList(items: readonly string[]): YAMLSeq {
  const list = new YAMLSeq();
  for (const item of items) list.items.push(new Scalar(item));
  list.flow = true;
  return list;
}

/** A loader's message about one entry, for a change that is not written yet: no position, the key alone. */
export function entryMessage(message: string, path: string): string {
  return message
    .replace(/ at \S+:\d+:\d+$/, '')
    .replaceAll(`\`${path}.`, '`')
    .replaceAll(`\`${path}\``, 'the entry');
}
