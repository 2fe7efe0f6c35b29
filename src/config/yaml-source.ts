/**
 * Reading a YAML file for schema validation, shared by the configuration (config/parse.ts) and the
 * firmware catalog (`<firmware.dir>/catalog.yaml`).
 *
 * 1. `parseYamlSource(text, { file, env, rootPath? })` parses with the `yaml` package (keeping every
 *    node's position), refuses duplicate keys, substitutes `${VAR}` in scalar values (interpolate.ts)
 *    and returns a small positioned tree (`YamlNode`) plus the issues found so far. A YAML syntax
 *    error gives `root: null` and one issue (the first error; the rest are mostly its echoes).
 * 2. `createReader(source)` gives the schema code typed accessors (`object`, `list`, `string`, `int`,
 *    `number`, `bool`, `oneOf`, `nullable`, `parse`, `scalar`) that track the key path, collect a
 *    `ConfigIssue` per problem and never throw; `reader.throwIfIssues()` then throws one `ConfigError`
 *    with all of them. To skip one bad entry and keep the rest (the catalog), compare
 *    `reader.issues.length` before and after reading it.
 *
 * Every message reads `` `<path>` must be <expected> (got <found>) at <file>:<line>:<col> ``
 * (STYLE.md §9). A reader returns `undefined` when the value is unusable; the issue is recorded by
 * then, so callers may substitute any placeholder and must finish with `throwIfIssues()`. A value
 * whose `${VAR}` failed is marked `failed` and skipped silently by every reader (reported once).
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlAstNode, Range, ScalarTag } from 'yaml';
import { ConfigError } from '../errors.js';
import type { ConfigIssue, ErrorCode } from '../errors.js';
import { interpolate } from './interpolate.js';
import type { Env, InterpolationProblem } from './interpolate.js';

/** 1-based line and column; `{ line: 0, col: 0 }` when there is no position (a default value). */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

export const NO_POSITION: SourcePosition = { line: 0, col: 0 };

export type ScalarValue = string | number | boolean | null;

export interface YamlScalar {
  readonly kind: 'scalar';
  /** After `${VAR}` substitution; an unquoted whole `${VAR}` is re-read as YAML (`5000` → 5000). */
  readonly value: ScalarValue;
  /** The text as written in the file (before substitution), for messages such as "write "1.10" in quotes". */
  readonly source: string;
  /** Substitution failed: the issue is recorded already, readers skip the value silently. */
  readonly failed: boolean;
  readonly pos: SourcePosition;
}

export interface YamlEntry {
  readonly key: string;
  readonly keyPos: SourcePosition;
  readonly value: YamlNode;
}

export interface YamlMap {
  readonly kind: 'map';
  readonly entries: readonly YamlEntry[];
  readonly pos: SourcePosition;
}

export interface YamlSeq {
  readonly kind: 'seq';
  readonly items: readonly YamlNode[];
  readonly pos: SourcePosition;
}

export type YamlNode = YamlScalar | YamlMap | YamlSeq;

export interface YamlSource {
  /** The file as named in messages (e.g. relative, as the user gave it). */
  readonly file: string;
  /** `null` for an empty document, and when the YAML does not parse (then `issues` holds the syntax errors). */
  readonly root: YamlNode | null;
  readonly issues: readonly ConfigIssue[];
  /** The path the document itself has in messages (`''`, or e.g. `catalog` so items read `catalog[2]`). */
  readonly rootPath?: string;
}

export interface YamlSourceOptions {
  /** The file as named in messages. */
  readonly file: string;
  /** Variables for `${VAR}`; pass `process.env` at the I/O edge, `{}` for none. */
  readonly env: Env;
  /** The document's own path in messages; default `''` (top-level keys read `upstream.url`). */
  readonly rootPath?: string;
}

/** `file:line:col`, or just `file` without a position. */
export function formatLocation(file: string, pos: SourcePosition): string {
  return pos.line === 0 ? file : `${file}:${pos.line}:${pos.col}`;
}

/** Parses YAML text into a positioned tree with `${VAR}` substituted; never throws, problems become issues. */
export function parseYamlSource(text: string, { file, env, rootPath = '' }: YamlSourceOptions): YamlSource {
  const lineCounter = new LineCounter();
  // Duplicate keys are detected while converting, where the key path is known (uniqueKeys: false).
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const at = (offset: number): SourcePosition => lineCounter.linePos(offset);
  const [first, ...more] = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  if (first !== undefined) {
    // Only the first: after a syntax error the parser's further complaints are mostly echoes of it.
    const pos = at(first.pos[0]);
    const echoes =
      more.length === 0 ? '' : ` (${more.length} more YAML problem${more.length === 1 ? '' : 's'} after it)`;
    const message = `invalid YAML: ${first.message}${echoes} at ${formatLocation(file, pos)}`;
    return { file, root: null, issues: [{ path: rootPath, message, file, ...pos }], rootPath };
  }
  const converter = new Converter(doc, text, file, env, at);
  const root = doc.contents === null ? null : converter.convert(doc.contents, rootPath);
  return { file, root, issues: converter.issues, rootPath };
}

/** Path of a map key below `parent` (`upstream.url`; top-level keys have no prefix). */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Path of a list item below `parent` (`websocket[1]`). */
export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Turns the `yaml` package's document into YamlNodes: substitution, duplicate keys, aliases. */
class Converter {
  readonly issues: ConfigIssue[] = [];
  readonly #doc: Document.Parsed;
  readonly #text: string;
  readonly #file: string;
  readonly #env: Env;
  readonly #at: (offset: number) => SourcePosition;
  /** Aliased nodes are converted once and shared, so `*a` repeated cannot blow up the tree. */
  readonly #done = new Map<YamlAstNode, YamlNode>();

  constructor(
    doc: Document.Parsed,
    text: string,
    file: string,
    env: Env,
    at: (offset: number) => SourcePosition,
  ) {
    this.#doc = doc;
    this.#text = text;
    this.#file = file;
    this.#env = env;
    this.#at = at;
  }

  convert(node: YamlAstNode, path: string): YamlNode {
    const target = isAlias(node) ? node.resolve(this.#doc) : node;
    if (target === undefined) return this.#scalarOf(null, '', true, this.#posOf(node));
    const seen = this.#done.get(target);
    if (seen !== undefined) return seen;
    const converted = this.#convertNew(target, path);
    this.#done.set(target, converted);
    return converted;
  }

  #convertNew(node: YamlAstNode, path: string): YamlNode {
    const pos = this.#posOf(node);
    if (isMap(node)) {
      const entries: YamlEntry[] = [];
      for (const pair of node.items) {
        const key = pair.key as YamlAstNode | null;
        const keyPos = key === null ? pos : this.#posOf(key);
        const keyValue = key !== null && isScalar(key) ? key.value : undefined;
        if (keyValue === undefined || keyValue === null || typeof keyValue === 'object') {
          this.#issue(
            path,
            keyPos,
            `${path === '' ? 'a top-level key' : `a key in \`${path}\``} must be plain text`,
          );
          continue;
        }
        const name = String(keyValue);
        const first = entries.find((e) => e.key === name);
        if (first !== undefined) {
          const where = first.keyPos.line === 0 ? '' : ` (first at line ${first.keyPos.line})`;
          this.#issue(
            childPath(path, name),
            keyPos,
            `duplicate key \`${name}\`${path === '' ? '' : ` in \`${path}\``}${where}`,
          );
          continue;
        }
        const valuePath = childPath(path, name);
        const value =
          pair.value === null
            ? this.#emptyValue(key, keyPos)
            : this.convert(pair.value as YamlAstNode, valuePath);
        entries.push({ key: name, keyPos, value });
      }
      return { kind: 'map', entries, pos };
    }
    if (isSeq(node)) {
      const items = node.items.map((item, i) =>
        item === null
          ? this.#scalarOf(null, '', false, pos)
          : this.convert(item as YamlAstNode, itemPath(path, i)),
      );
      return { kind: 'seq', items, pos };
    }
    if (isScalar(node)) return this.#convertScalar(node, path, pos);
    // Not produced by the core schema; refused rather than skipped silently.
    this.#issue(
      path,
      pos,
      `${path === '' ? 'the document' : `\`${path}\``} holds a YAML node of an unsupported kind`,
    );
    return this.#scalarOf(null, '', true, pos);
  }

  /** `key:` with nothing after it is a null value positioned just after the key. */
  #emptyValue(key: YamlAstNode | null, keyPos: SourcePosition): YamlScalar {
    const end = key?.range?.[1];
    return this.#scalarOf(null, '', false, end === undefined ? keyPos : this.#at(end));
  }

  #convertScalar(
    node: YamlAstNode & { value: unknown; type?: string; tag?: string },
    path: string,
    pos: SourcePosition,
  ): YamlScalar {
    const range = node.range;
    const source = range ? this.#text.slice(range[0], range[1]) : '';
    const raw = node.value;
    if (typeof raw !== 'string') return this.#scalarOf(toScalarValue(raw, source), source, false, pos);
    const result = interpolate(raw, this.#env);
    if (result.problems.length > 0) {
      for (const problem of result.problems) {
        this.#issue(
          path,
          this.#problemPos(raw, source, range, problem.index),
          describeProblem(path, problem),
        );
      }
      return this.#scalarOf(raw, source, true, pos);
    }
    // An unquoted, untagged scalar that is exactly one `${…}` is read again as YAML (CONFIG.md "The file").
    const reread = result.whole && node.type === 'PLAIN' && node.tag === undefined;
    return this.#scalarOf(reread ? this.#resolvePlain(result.value) : result.value, source, false, pos);
  }

  /** Resolves text as an untagged plain scalar of the document's schema: `5000` → 5000, `true`, `` → null. */
  #resolvePlain(text: string): ScalarValue {
    for (const tag of this.#doc.schema.tags) {
      if (!isScalarTag(tag) || tag.default !== true || tag.test?.test(text) !== true) continue;
      let ok = true;
      const resolved = tag.resolve(text, () => (ok = false), this.#doc.options);
      // Some tags resolve to a Scalar node (null does) rather than to the bare value.
      const value = isScalar(resolved) ? resolved.value : resolved;
      return ok ? toScalarValue(value, text) : text;
    }
    return text;
  }

  /** The position of a reference's `$`: the n-th `$` of the value is the n-th `$` of the source as written. */
  #problemPos(value: string, source: string, range: Range | null | undefined, index: number): SourcePosition {
    const start = range?.[0] ?? 0;
    const ordinal = countDollars(value.slice(0, index));
    let offset = -1;
    for (let seen = 0, i = source.indexOf('$'); i >= 0; i = source.indexOf('$', i + 1), seen++) {
      if (seen === ordinal) {
        offset = i;
        break;
      }
    }
    // Escapes in a double-quoted scalar (`\x24`) can break the correspondence: fall back to the scalar.
    return this.#at(offset < 0 ? start : start + offset);
  }

  #posOf(node: YamlAstNode): SourcePosition {
    const start = node.range?.[0];
    return start === undefined ? NO_POSITION : this.#at(start);
  }

  #scalarOf(value: ScalarValue, source: string, failed: boolean, pos: SourcePosition): YamlScalar {
    return { kind: 'scalar', value, source, failed, pos };
  }

  #issue(path: string, pos: SourcePosition, text: string): void {
    this.issues.push({
      path,
      message: `${text} at ${formatLocation(this.#file, pos)}`,
      file: this.#file,
      ...pos,
    });
  }
}

function isScalarTag(tag: Document.Parsed['schema']['tags'][number]): tag is ScalarTag {
  return tag.test !== undefined;
}

function countDollars(text: string): number {
  let n = 0;
  for (const char of text) if (char === '$') n++;
  return n;
}

function toScalarValue(value: unknown, source: string): ScalarValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (typeof value === 'bigint') return Number(value);
  return source;
}

function describeProblem(path: string, problem: InterpolationProblem): string {
  const where = path === '' ? 'the document' : `\`${path}\``;
  switch (problem.kind) {
    case 'unset':
      return `${where} uses \${${problem.name}} but ${problem.name} is not set (give a default with \${${problem.name}:-value})`;
    case 'malformed':
      return `${where} has a malformed reference ${problem.reference} (write \${NAME} or \${NAME:-default}, $$ for a literal $)`;
    case 'unterminated':
      return `${where} has a \${ without its closing } (write $$ for a literal $)`;
    case 'nested':
      return `${where} nests a reference inside the default of \${${problem.name}:-…}, which is not supported`;
    default: {
      const never: never = problem;
      return never;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The reader

/** A value about to be read: its key path, its node (`undefined` = absent), where it sits. */
export interface Field {
  readonly path: string;
  readonly node: YamlNode | undefined;
  readonly pos: SourcePosition;
  /** `false` when the value is a default rather than something written in the file. */
  readonly fromFile: boolean;
}

/** A mapping whose keys were checked against the allowed ones. */
export interface MapView {
  readonly path: string;
  readonly pos: SourcePosition;
  /** Whether the file sets `key` (an explicit `null` counts). */
  has(key: string): boolean;
  /** The field for `key`; when the file does not set it, `fallback` (a plain JS value) stands in, else it is absent. */
  get(key: string, fallback?: unknown): Field;
}

export interface IntOptions {
  readonly min?: number;
  readonly max?: number;
}

export interface NumberOptions extends IntOptions {
  /** At most this many decimal places (e.g. 2 for a rollout percentage). */
  readonly decimals?: number;
}

export interface StringOptions {
  /** Refuse `""`. */
  readonly nonEmpty?: boolean;
  /** Describes the expected value in messages; default `a string` (`a non-empty string` with nonEmpty). */
  readonly expected?: string;
}

export interface ListOptions {
  /** A single item may be written without the list (`websocket: {url: …}`): it is read as a list of one. */
  readonly single?: boolean;
  /** Refuse `[]` (default true; CONFIG.md "lists are non-empty"). */
  readonly nonEmpty?: boolean;
}

/** What a `parse`/`scalar` converter returns: `{ value }`, what is wrong, or `null` (just wrong). */
export type Converted<T> = { readonly value: T } | string | null;

export interface YamlReader {
  readonly file: string;
  /** Every issue so far, from parsing and from reading; its length tells whether a read added any. */
  readonly issues: readonly ConfigIssue[];
  /** The document itself (path `rootPath`, default `''`); absent for an empty file. */
  root(): Field;
  /** A mapping with only `keys` allowed (each unknown key is an issue). Absent or `null` reads as `{}`; not a mapping → issue, `undefined`. */
  object(field: Field, keys: readonly string[]): MapView | undefined;
  /** A list's items as fields (`path[i]`); see ListOptions. Absent or not a list → issue, `undefined`. */
  list(field: Field, options?: ListOptions): Field[] | undefined;
  string(field: Field, options?: StringOptions): string | undefined;
  /** An integer within `min`/`max` (inclusive). */
  int(field: Field, options?: IntOptions): number | undefined;
  number(field: Field, options?: NumberOptions): number | undefined;
  bool(field: Field): boolean | undefined;
  /** One of `values`, as a string. */
  oneOf<T extends string>(field: Field, values: readonly T[]): T | undefined;
  /** `null` when absent or YAML null, else what `read` gives. */
  nullable<T>(field: Field, read: (field: Field) => T | undefined): T | null | undefined;
  /**
   * A string turned into `T` by `convert`, which returns `{ value }`, or a string saying what is wrong
   * (shown after the expectation), or `null` (the expectation says it all).
   */
  parse<T>(field: Field, expected: string, convert: (text: string) => Converted<T>): T | undefined;
  /** Like `parse`, for a scalar of any type (`auto`, `true` or `false`). */
  scalar<T>(field: Field, expected: string, convert: (value: ScalarValue) => Converted<T>): T | undefined;
  /** Records `` `path` must be <expected> (got <found>)[ — hint] at file:line:col ``. */
  fail(field: Field, expected: string, hint?: string): void;
  /** Records `<text> at file:line:col` for the field. */
  issue(field: Field, text: string): void;
  /** Records `<text> at file:line:col` for any path and position. */
  issueAt(path: string, pos: SourcePosition, text: string): void;
  /** Throws one ConfigError (default code CONFIG_INVALID) holding every issue in file order, if there are any. */
  throwIfIssues(code?: ErrorCode): void;
}

/** What a node is, for `(got …)`: strings quoted, numbers and booleans as written, collections by kind. */
export function describeNode(node: YamlNode | undefined): string {
  if (node === undefined) return 'nothing';
  switch (node.kind) {
    case 'map':
      return 'a mapping';
    case 'seq':
      return node.items.length === 0 ? 'an empty list' : 'a list';
    case 'scalar': {
      const { value } = node;
      if (typeof value === 'string')
        return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
      return String(value);
    }
    default: {
      const never: never = node;
      return never;
    }
  }
}

/** A plain JS value (a default) as a node without position. */
function nodeFromValue(value: unknown, pos: SourcePosition): YamlNode {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map((v) => nodeFromValue(v, pos)), pos };
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, v]) => ({
      key,
      keyPos: pos,
      value: nodeFromValue(v, pos),
    }));
    return { kind: 'map', entries, pos };
  }
  return { kind: 'scalar', value: toScalarValue(value, String(value)), source: '', failed: false, pos };
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(key: string, allowed: readonly string[]): string {
  const lower = key.toLowerCase().replace(/-/g, '_');
  const best = allowed
    .map((candidate) => ({ candidate, d: distance(lower, candidate) }))
    .filter(({ d, candidate }) => d <= Math.max(1, Math.floor(candidate.length / 3)))
    .sort((x, y) => x.d - y.d)[0];
  return best === undefined ? '' : ` (did you mean \`${best.candidate}\`?)`;
}

function isNull(node: YamlNode | undefined): boolean {
  return node?.kind === 'scalar' && node.value === null && !node.failed;
}

function isFailed(node: YamlNode | undefined): boolean {
  return node?.kind === 'scalar' && node.failed;
}

/** Creates a reader over a parsed source; it starts with the source's own issues. */
export function createReader(source: YamlSource): YamlReader {
  const { file } = source;
  const issues: ConfigIssue[] = [...source.issues];

  const issueAt = (path: string, pos: SourcePosition, text: string): void => {
    issues.push({
      path,
      message: `${text} at ${formatLocation(file, pos)}`,
      file,
      line: pos.line,
      col: pos.col,
    });
  };
  const name = (path: string): string => (path === '' ? 'the top level' : `\`${path}\``);
  const fail = (field: Field, expected: string, hint?: string): void => {
    const rest = hint === undefined ? '' : ` — ${hint}`;
    issueAt(
      field.path,
      field.pos,
      `${name(field.path)} must be ${expected} (got ${describeNode(field.node)})${rest}`,
    );
  };
  /** `undefined` when the field cannot be read at all (absent, or its substitution failed); absent is an issue. */
  const present = (field: Field, expected: string): YamlNode | undefined => {
    if (field.node === undefined) {
      issueAt(field.path, field.pos, `${name(field.path)} is required (${expected})`);
      return undefined;
    }
    return isFailed(field.node) ? undefined : field.node;
  };
  const scalarHint = (node: YamlNode): string | undefined => {
    if (node.kind !== 'scalar' || node.value === null) return undefined;
    if (typeof node.value === 'number' || typeof node.value === 'boolean') {
      // YAML reads `1.10` as the number 1.1: the text as written is what the user meant.
      const written = node.source !== '' && !node.source.includes('$') ? node.source : String(node.value);
      return `write it in quotes ("${written}") so YAML reads it as text`;
    }
    return undefined;
  };

  const reader: YamlReader = {
    file,
    issues,
    root: () => ({
      path: source.rootPath ?? '',
      node: source.root ?? undefined,
      pos: source.root?.pos ?? { line: 1, col: 1 },
      fromFile: source.root !== null,
    }),

    object(field, keys) {
      const { node } = field;
      if (isFailed(node)) return undefined;
      if (node !== undefined && !isNull(node) && node.kind !== 'map') {
        fail(field, 'a mapping of keys');
        return undefined;
      }
      const entries = node?.kind === 'map' ? node.entries : [];
      for (const entry of entries) {
        if (keys.includes(entry.key)) continue;
        const where = field.path === '' ? '' : ` in \`${field.path}\``;
        issueAt(
          childPath(field.path, entry.key),
          entry.keyPos,
          `unknown key \`${entry.key}\`${where}${suggestion(entry.key, keys)}`,
        );
      }
      const pos = node?.pos ?? field.pos;
      return {
        path: field.path,
        pos,
        has: (key) => entries.some((e) => e.key === key),
        get(key, fallback) {
          const path = childPath(field.path, key);
          const entry = entries.find((e) => e.key === key);
          if (entry !== undefined) return { path, node: entry.value, pos: entry.value.pos, fromFile: true };
          const node = fallback === undefined ? undefined : nodeFromValue(fallback, NO_POSITION);
          return { path, node, pos, fromFile: false };
        },
      };
    },

    list(field, { single = false, nonEmpty = true } = {}) {
      const node = present(field, 'a list');
      if (node === undefined) return undefined;
      if (node.kind !== 'seq') {
        if (single && !isNull(node)) return [field];
        fail(field, single ? 'an item or a list of items' : 'a list');
        return undefined;
      }
      if (nonEmpty && node.items.length === 0) {
        issueAt(
          field.path,
          field.pos,
          `${name(field.path)} must not be an empty list (leave the key out instead)`,
        );
        return undefined;
      }
      return node.items.map((item, i) => ({
        path: itemPath(field.path, i),
        node: item,
        pos: item.pos,
        fromFile: field.fromFile,
      }));
    },

    string(field, { nonEmpty = false, expected = nonEmpty ? 'a non-empty string' : 'a string' } = {}) {
      const node = present(field, expected);
      if (node === undefined) return undefined;
      if (node.kind !== 'scalar' || typeof node.value !== 'string') {
        fail(field, expected, scalarHint(node));
        return undefined;
      }
      if (nonEmpty && node.value === '') {
        fail(field, expected);
        return undefined;
      }
      return node.value;
    },

    int(field, { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}) {
      const expected = describeRange('an integer', min, max);
      const node = present(field, expected);
      if (node === undefined) return undefined;
      const value = node.kind === 'scalar' ? node.value : undefined;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        fail(field, expected);
        return undefined;
      }
      return value;
    },

    number(field, { min = -Number.MAX_VALUE, max = Number.MAX_VALUE, decimals } = {}) {
      const places =
        decimals === undefined ? '' : ` with at most ${decimals} decimal${decimals === 1 ? '' : 's'}`;
      const expected = `${describeRange('a number', min, max)}${places}`;
      const node = present(field, expected);
      if (node === undefined) return undefined;
      const value = node.kind === 'scalar' ? node.value : undefined;
      const tooPrecise =
        decimals !== undefined && typeof value === 'number' && !hasAtMostDecimals(value, decimals);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || tooPrecise) {
        fail(field, expected);
        return undefined;
      }
      return value;
    },

    bool(field) {
      const node = present(field, 'true or false');
      if (node === undefined) return undefined;
      if (node.kind !== 'scalar' || typeof node.value !== 'boolean') {
        fail(field, 'true or false');
        return undefined;
      }
      return node.value;
    },

    oneOf(field, values) {
      const expected =
        values.length === 1 ? `\`${values[0]}\`` : `one of ${values.map((v) => `\`${v}\``).join(', ')}`;
      const node = present(field, expected);
      if (node === undefined) return undefined;
      const value = node.kind === 'scalar' ? node.value : undefined;
      const match = values.find((v) => v === value);
      if (match === undefined) {
        fail(field, expected);
        return undefined;
      }
      return match;
    },

    nullable(field, read) {
      if (field.node === undefined || isNull(field.node)) return null;
      return read(field);
    },

    parse(field, expected, convert) {
      const node = present(field, expected);
      if (node === undefined) return undefined;
      // No "write it in quotes" hint here: a number is never what a parsed value (a URL, host:port…) wanted.
      if (node.kind !== 'scalar' || typeof node.value !== 'string') {
        fail(field, expected);
        return undefined;
      }
      return convertWith(field, expected, convert(node.value));
    },

    scalar(field, expected, convert) {
      const node = present(field, expected);
      if (node === undefined) return undefined;
      if (node.kind !== 'scalar') {
        fail(field, expected);
        return undefined;
      }
      return convertWith(field, expected, convert(node.value));
    },

    fail,
    issue: (field, text) => issueAt(field.path, field.pos, text),
    issueAt,

    throwIfIssues(code = 'CONFIG_INVALID') {
      if (issues.length === 0) return;
      // In file order, as a user reads them; issues without a position last.
      const key = (i: ConfigIssue): number => (i.line === 0 ? Number.MAX_SAFE_INTEGER : i.line * 1e6 + i.col);
      throw new ConfigError(
        [...issues].sort((a, b) => key(a) - key(b)),
        { code },
      );
    },
  };

  function convertWith<T>(field: Field, expected: string, result: Converted<T>): T | undefined {
    if (result === null) {
      fail(field, expected);
      return undefined;
    }
    if (typeof result === 'string') {
      fail(field, expected, result);
      return undefined;
    }
    return result.value;
  }
  return reader;
}

function describeRange(what: string, min: number, max: number): string {
  const lowOpen = min <= Number.MIN_SAFE_INTEGER || min === -Number.MAX_VALUE;
  const highOpen = max >= Number.MAX_SAFE_INTEGER || max === Number.MAX_VALUE;
  if (lowOpen && highOpen) return what;
  if (highOpen) return `${what} ≥ ${min}`;
  if (lowOpen) return `${what} ≤ ${max}`;
  return `${what} from ${min} to ${max}`;
}

function hasAtMostDecimals(value: number, decimals: number): boolean {
  const scaled = value * 10 ** decimals;
  // Tolerate binary rounding (0.29 * 100 = 28.999999999999996).
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}
