/**
 * `<firmware.dir>/catalog.yaml` text → catalog entries as written, plus every problem with its key path
 * (`catalog[2].version`) and `file:line:col` (CONFIG.md "Catalog"). Files are checked later
 * (catalog-validate.ts); this reads only the text.
 */
import type { Template } from '../config/types.js';
import type { Env } from '../config/interpolate.js';
import { createReader, parseYamlSource } from '../config/yaml-source.js';
import type { Converted, Field, SourcePosition, YamlReader } from '../config/yaml-source.js';
import { parseTemplate, renderTemplate } from '../config/template.js';
import type { ConfigIssue } from '../errors.js';
import { compileGlob } from '../match/glob.js';
import { normalizeMac } from '../match/mac.js';
import type { Glob } from '../match/types.js';
import { compareVersions, isDottedIntegers, parseVersionNumbers } from '../match/version.js';

/** The key path of the catalog's root list in messages: entries are `catalog[i]`. */
export const CATALOG_PATH = 'catalog';

/** A catalog file name: `[A-Za-z0-9._-]+`, and never `.` or `..` (CONFIG.md "Catalog"). */
export const CATALOG_FILE_NAME = /^[A-Za-z0-9._-]+$/;

const ENTRY_KEYS = [
  'board',
  'version',
  'file',
  'url',
  'sha256',
  'rollout',
  'devices',
  'exclude',
  'min_version',
  'force',
] as const;

/** Where an entry's values sit in catalog.yaml, so later checks can point at them. */
export interface EntryPositions {
  readonly entry: SourcePosition;
  readonly version: SourcePosition;
  readonly file: SourcePosition;
  readonly sha256: SourcePosition;
}

/** One entry as written, checked for shape only. */
export interface RawCatalogEntry {
  /** 0-based position in catalog.yaml. */
  readonly index: number;
  /** The board glob as written: part of the rollout hash. */
  readonly board: string;
  readonly boardGlob: Glob;
  readonly version: string;
  readonly file: string;
  readonly url: Template | null;
  /** Lowercase hex, or `null` when not given. */
  readonly sha256: string | null;
  readonly rollout: number;
  readonly devices: readonly string[] | null;
  readonly exclude: readonly string[];
  readonly minVersion: string | null;
  readonly force: boolean;
  readonly positions: EntryPositions;
}

export type CatalogParse =
  /** The text is a list (or empty): `entries` holds the usable ones, `issues` what was skipped and why. */
  | {
      readonly kind: 'parsed';
      readonly entries: readonly RawCatalogEntry[];
      readonly issues: readonly ConfigIssue[];
    }
  /** The text cannot be used at all (YAML syntax, not a list): the previous catalog stays. */
  | { readonly kind: 'unusable'; readonly issues: readonly ConfigIssue[] };

export interface CatalogParseOptions {
  /** The file as named in messages. */
  readonly file: string;
  /** Variables for `${VAR}` (CONFIG.md "The file": the same in catalog.yaml). */
  readonly env: Env;
}

/** Parses catalog.yaml; invalid entries and later duplicates are reported and left out, never thrown. */
export function parseCatalog(text: string, { file, env }: CatalogParseOptions): CatalogParse {
  const source = parseYamlSource(text, { file, env });
  if (source.root === null && source.issues.length > 0)
    return { kind: 'unusable', issues: source.issues.map(underCatalog) };
  // yaml-source names the root ''; here it is `catalog`, so entries read as `catalog[2].version`.
  const reader = createReader({ ...source, issues: [] });
  const sourceIssues = source.issues.map(underCatalog);
  const root: Field = {
    path: CATALOG_PATH,
    node: source.root ?? undefined,
    pos: source.root?.pos ?? { line: 1, col: 1 },
    fromFile: true,
  };
  if (
    root.node === undefined ||
    (root.node.kind === 'scalar' && root.node.value === null && !root.node.failed)
  ) {
    return { kind: 'parsed', entries: [], issues: sourceIssues };
  }
  const items = reader.list(root, { nonEmpty: false });
  if (items === undefined) {
    return {
      kind: 'unusable',
      issues: [
        ...sourceIssues,
        ...reader.issues.map((i) => withHint(i, ' — catalog.yaml is a list of entries: `- board: …`')),
      ],
    };
  }

  const entries: RawCatalogEntry[] = [];
  items.forEach((item, index) => {
    const before = reader.issues.length;
    const entry = readEntry(reader, item, index);
    // An entry with any problem — including one the YAML layer found inside it — is left out whole.
    const itemPrefix = `${CATALOG_PATH}[${index}]`;
    const broken =
      reader.issues.length > before ||
      sourceIssues.some((i) => i.path === itemPrefix || i.path.startsWith(`${itemPrefix}.`));
    if (entry === undefined || broken) return;
    const earlier = entries.find(
      (e) => e.board.toLowerCase() === entry.board.toLowerCase() && sameVersion(e.version, entry.version),
    );
    if (earlier !== undefined) {
      reader.issueAt(
        itemPrefix,
        entry.positions.entry,
        `\`${itemPrefix}\` (${entry.board} ${entry.version}) repeats the board and version of \`${CATALOG_PATH}[${earlier.index}]\` and is skipped`,
      );
      return;
    }
    entries.push(entry);
  });
  return { kind: 'parsed', entries, issues: [...sourceIssues, ...reader.issues] };
}

function readEntry(reader: YamlReader, item: Field, index: number): RawCatalogEntry | undefined {
  const map = reader.object(item, ENTRY_KEYS);
  if (map === undefined) return undefined;
  if (item.node === undefined || item.node.kind !== 'map') {
    reader.fail(item, 'an entry with at least `board`, `version` and `file`');
    return undefined;
  }
  const boardField = map.get('board');
  const versionField = map.get('version');
  const fileField = map.get('file');
  const shaField = map.get('sha256');

  const board = reader.string(boardField, {
    nonEmpty: true,
    expected: 'a board name or glob such as "bread-compact-wifi*"',
  });
  const version = readText(reader, versionField, 'a version of dotted integers such as "2.0.4"', (t) =>
    isDottedIntegers(t) ? t : null,
  );
  const file = readText(
    reader,
    fileField,
    'a file name in firmware.dir of letters, digits, `.`, `_` and `-`',
    (t) => (CATALOG_FILE_NAME.test(t) && t !== '.' && t !== '..' ? t : null),
  );
  const url = reader.nullable(map.get('url'), (f) =>
    reader.parse(f, 'an http(s) URL (template allowed: {host}, {port}, {scheme})', parseUrlTemplate),
  );
  const sha256 = reader.nullable(shaField, (f) => readSha256(reader, f));
  const rollout = reader.number(map.get('rollout', 100), { min: 0, max: 100, decimals: 2 });
  const devices = reader.nullable(map.get('devices'), (f) => readMacs(reader, f));
  const exclude = reader.nullable(map.get('exclude'), (f) => readMacs(reader, f));
  const minVersion = reader.nullable(map.get('min_version'), (f) =>
    readText(reader, f, 'a version of dotted integers such as "1.6.0"', (t) =>
      isDottedIntegers(t) ? t : null,
    ),
  );
  const force = reader.bool(map.get('force', false));

  if (
    board === undefined ||
    version === undefined ||
    file === undefined ||
    url === undefined ||
    sha256 === undefined ||
    rollout === undefined ||
    devices === undefined ||
    exclude === undefined ||
    minVersion === undefined ||
    force === undefined
  ) {
    return undefined;
  }
  return {
    index,
    board,
    boardGlob: compileGlob(board),
    version,
    file,
    url,
    sha256,
    rollout,
    devices,
    exclude: exclude ?? [],
    minVersion,
    force,
    positions: { entry: item.pos, version: versionField.pos, file: fileField.pos, sha256: shaField.pos },
  };
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

/** 64 hex digits, lowercased. An unquoted hash of digits only is a YAML number: its text as written is taken. */
function readSha256(reader: YamlReader, field: Field): string | undefined {
  const node = field.node;
  if (node?.kind === 'scalar' && typeof node.value === 'number' && SHA256.test(node.source))
    return node.source.toLowerCase();
  return readText(reader, field, 'a sha256 of 64 hex digits', (t) =>
    SHA256.test(t) ? t.toLowerCase() : null,
  );
}

/** A MAC or a list of MACs, normalised to lowercase colon form (device-contract.md §1: `Device-Id`). */
function readMacs(reader: YamlReader, field: Field): string[] | undefined {
  const items = reader.list(field, { single: true });
  if (items === undefined) return undefined;
  const macs: string[] = [];
  let ok = true;
  for (const item of items) {
    // `112233445566` unquoted is a YAML number: its text as written is the MAC.
    const node = item.node;
    const written =
      node?.kind === 'scalar' && typeof node.value === 'number' ? normalizeMac(node.source) : null;
    const mac = written ?? readText(reader, item, 'a MAC address such as "aa:bb:cc:dd:ee:ff"', normalizeMac);
    if (mac === undefined) ok = false;
    else macs.push(mac);
  }
  return ok ? macs : undefined;
}

/**
 * A string accepted (and possibly normalised) by `accept`, else an issue saying what was expected.
 * Read through `reader.string` so that a number gets the "write it in quotes" hint (`version: 1.10`).
 */
function readText(
  reader: YamlReader,
  field: Field,
  expected: string,
  accept: (text: string) => string | null,
): string | undefined {
  const text = reader.string(field, { expected });
  if (text === undefined) return undefined;
  const value = accept(text);
  if (value === null) {
    reader.fail(field, expected);
    return undefined;
  }
  return value;
}

/** A template that renders to an http(s) URL; the device downloads it with a plain GET (device-contract.md §5). */
function parseUrlTemplate(text: string): Converted<Template> {
  const template = parseTemplate(text);
  if (typeof template === 'string') return template;
  const sample = renderTemplate(template, { scheme: 'http', host: 'example.com', port: 80 }, 'http');
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `devices download only http:// and https:// URLs`;
  return { value: template };
}

/** Same version as the device compares them (`2.0` and `2.0.0` differ, `2.01` and `2.1` do not). */
function sameVersion(a: string, b: string): boolean {
  const x = parseVersionNumbers(a);
  const y = parseVersionNumbers(b);
  return x !== null && y !== null && compareVersions(x, y) === 0;
}

/** yaml-source names the root list's items `[i]`; in catalog messages they are `catalog[i]`. */
function underCatalog(issue: ConfigIssue): ConfigIssue {
  if (!issue.path.startsWith('[')) return issue;
  return {
    ...issue,
    path: `${CATALOG_PATH}${issue.path}`,
    message: issue.message.replace(`\`${issue.path}`, `\`${CATALOG_PATH}${issue.path}`),
  };
}

function withHint(issue: ConfigIssue, hint: string): ConfigIssue {
  const at = issue.message.lastIndexOf(' at ');
  return at === -1
    ? issue
    : { ...issue, message: `${issue.message.slice(0, at)}${hint}${issue.message.slice(at)}` };
}
