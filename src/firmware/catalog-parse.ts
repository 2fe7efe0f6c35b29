/**
 * `<firmware.dir>/catalog.yaml` text → catalog entries as written, plus every problem with its key path
 * (`catalog[2].version`) and `file:line:col` (docs/configuration.md "Catalog"). Files are checked later
 * (catalog-validate.ts); this reads only the text.
 */
import type { Template } from '../config/types.js';
import type { Env } from '../config/interpolate.js';
import { MAC } from '../config/conditions.js';
import { keysSchema, schemaDocument } from '../config/json-schema.js';
import { bool, list, number, orNull, parsed, readKeys, scalar, text } from '../config/key-definitions.js';
import type { JsonSchema, LeafDef } from '../config/key-definitions.js';
import { createReader, parseYamlSource } from '../config/yaml-source.js';
import type { Converted, Field, SourcePosition, YamlReader } from '../config/yaml-source.js';
import { parseTemplate, renderTemplate } from '../config/template.js';
import type { ConfigIssue } from '../errors.js';
import { compileGlob } from '../match/glob.js';
import type { Glob } from '../match/types.js';
import { isDottedIntegers, parseVersionNumbers } from '../match/version.js';

/** The key path of the catalog's root list in messages: entries are `catalog[i]`. */
export const CATALOG_PATH = 'catalog';

/** A catalog file name: `[A-Za-z0-9._-]+`, and never `.` or `..` (docs/configuration.md "Catalog"). */
export const CATALOG_FILE_NAME = /^[A-Za-z0-9._-]+$/;

const SHA256 = /^[0-9a-fA-F]{64}$/;

const version = (doc: string, example: string): LeafDef<string> =>
  text({
    doc,
    expected: `a version of dotted integers such as "${example}"`,
    pattern: /^\d+(\.\d+)*$/,
    accept: (t) => (isDottedIntegers(t) ? { value: t } : null),
  });

/** The keys of one catalog entry (docs/configuration.md "Catalog"); those without a default are required. */
export const CATALOG_ENTRY_KEYS = {
  board: text({
    doc: 'The build name the image is for: a glob (* and ?), case-insensitive',
    expected: 'a board name or glob such as "bread-compact-wifi*"',
    minLength: 1,
  }),
  version: version('The version inside the image, dotted integers, in quotes', '2.0.4'),
  file: text({
    doc: 'The application image in firmware.dir: letters, digits, `.`, `_` and `-`',
    expected: 'a file name in firmware.dir of letters, digits, `.`, `_` and `-`',
    pattern: CATALOG_FILE_NAME,
    accept: (t) => (t !== '.' && t !== '..' ? { value: t } : null),
  }),
  url: orNull(
    parsed({
      doc: "Offered instead of the proxy's own /firmware/<file>: http(s), with {host}, {port}, {scheme}",
      default: null,
      expected: 'an http(s) URL (template allowed: {host}, {port}, {scheme})',
      parse: parseUrlTemplate,
    }),
  ),
  sha256: orNull(
    scalar({
      doc: "The image's sha256 (64 hex digits); the entry is skipped when it differs",
      default: null,
      expected: 'a sha256 of 64 hex digits',
      // 64 digits unquoted are a YAML number: the text as written is the hash.
      convert: (value, written) => {
        const hash = typeof value === 'number' ? written : typeof value === 'string' ? value : '';
        return SHA256.test(hash) ? { value: hash.toLowerCase() } : null;
      },
      schema: { anyOf: [{ type: 'string', pattern: SHA256.source }, { type: 'integer' }] },
    }),
  ),
  rollout: number({
    doc: 'Percentage of devices offered this entry, 0–100 with up to two decimals',
    default: 100,
    min: 0,
    max: 100,
    decimals: 2,
  }),
  devices: orNull(
    list(MAC, {
      doc: 'Only these devices (MAC addresses as sent in Device-Id), one or a list',
      default: null,
      single: true,
    }),
  ),
  exclude: orNull(list(MAC, { doc: 'Never these devices, one or a list', default: null, single: true })),
  min_version: orNull({
    ...version('Only devices already running at least this version', '1.6.0'),
    default: null,
  }),
  force: bool({
    doc: 'Pin eligible devices to this version (offered with force: 1, also a downgrade)',
    default: false,
  }),
};

/** The JSON Schema of catalog.yaml (schema/catalog.schema.json), from the same definitions. */
export function catalogJsonSchema(): JsonSchema {
  return schemaDocument({
    title: 'xiaozhi-ota-proxy firmware catalog',
    description:
      'Which application images the proxy offers to which devices: a list of entries; an empty file is an empty catalog',
    root: { type: ['array', 'null'], items: keysSchema(CATALOG_ENTRY_KEYS, { nullable: false }) },
  });
}

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
  /** Variables for `${VAR}` (docs/configuration.md "The file": the same in catalog.yaml). */
  readonly env: Env;
}

/** Parses catalog.yaml; invalid entries and later duplicates are reported and left out, never thrown. */
export function parseCatalog(text: string, { file, env }: CatalogParseOptions): CatalogParse {
  const source = parseYamlSource(text, { file, env, rootPath: CATALOG_PATH });
  if (source.root === null && source.issues.length > 0) return { kind: 'unusable', issues: source.issues };
  // The YAML layer's issues (a failed `${VAR}`, a duplicate key) are counted per entry below.
  const reader = createReader({ ...source, issues: [] });
  const root = reader.root();
  const kind = reader.kind(root);
  if (kind === 'absent' || kind === 'null') return { kind: 'parsed', entries: [], issues: source.issues };
  const items = reader.list(root, { nonEmpty: false });
  if (items === undefined) {
    const hint = ' — catalog.yaml is a list of entries: `- board: …`';
    return { kind: 'unusable', issues: [...source.issues, ...reader.issues.map((i) => withHint(i, hint))] };
  }

  const entries: RawCatalogEntry[] = [];
  /** Entries by board (case-insensitive) and version as the device compares them (`2.01` is `2.1`, `2.0` is not `2.0.0`). */
  const seen = new Map<string, RawCatalogEntry>();
  items.forEach((item, index) => {
    const before = reader.issues.length;
    const entry = readEntry(reader, item, index);
    // An entry with any problem — including one the YAML layer found inside it — is left out whole.
    const broken =
      reader.issues.length > before ||
      source.issues.some((i) => i.path === item.path || i.path.startsWith(`${item.path}.`));
    if (entry === undefined || broken) return;
    const key = `${entry.board.toLowerCase()}|${parseVersionNumbers(entry.version)?.join('.')}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      reader.issueAt(
        item.path,
        entry.positions.entry,
        `\`${item.path}\` (${entry.board} ${entry.version}) repeats the board and version of \`${CATALOG_PATH}[${earlier.index}]\` and is skipped`,
      );
      return;
    }
    seen.set(key, entry);
    entries.push(entry);
  });
  return { kind: 'parsed', entries, issues: [...source.issues, ...reader.issues] };
}

function readEntry(reader: YamlReader, item: Field, index: number): RawCatalogEntry | undefined {
  const kind = reader.kind(item);
  if (kind !== 'map') {
    if (kind !== 'failed') reader.fail(item, 'an entry with at least `board`, `version` and `file`');
    return undefined;
  }
  const { values, at } = readKeys(reader, item, CATALOG_ENTRY_KEYS);
  if (values === undefined) return undefined;
  const pos = (key: string): SourcePosition => at(`${item.path}.${key}`).field.pos;
  return {
    index,
    board: values.board,
    boardGlob: compileGlob(values.board),
    version: values.version,
    file: values.file,
    url: values.url,
    sha256: values.sha256,
    rollout: values.rollout,
    devices: values.devices,
    exclude: values.exclude ?? [],
    minVersion: values.min_version,
    force: values.force,
    positions: { entry: item.pos, version: pos('version'), file: pos('file'), sha256: pos('sha256') },
  };
}

/** A template that renders to an http(s) URL; the device downloads it with a plain GET (docs/device-contract.md §5). */
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

function withHint(issue: ConfigIssue, hint: string): ConfigIssue {
  const at = issue.message.lastIndexOf(' at ');
  return at === -1
    ? issue
    : { ...issue, message: `${issue.message.slice(0, at)}${hint}${issue.message.slice(at)}` };
}
