/**
 * Reading a YAML file for validation, shared by the configuration (config/parse.ts) and the firmware
 * catalog. The `yaml` package does the YAML: node positions (`LineCounter`, node `range`), syntax
 * errors and duplicate keys (`uniqueKeys`). Ours on top:
 * 1. `parseYamlSource` substitutes `${VAR}` in scalar values in place (interpolate.ts, through
 *    `visit()`), re-reads an unquoted whole `${…}` as a YAML scalar, and turns the package's problems
 *    into issues with key paths and `file:line:col`. A syntax error gives `root: null` and one issue.
 * 2. `createReader` walks the document as fields (key path, node, position), refuses unknown keys with
 *    a did-you-mean, and collects every issue; `throwIfIssues()` throws them as one ConfigError. Typed
 *    values are read on top of it by their definitions (key-definitions.ts).
 * Messages read `` `<path>` must be <expected> (got <found>) at <file>:<line>:<col> `` (docs/contributing.md §9).
 * A value whose `${VAR}` failed, and a pair whose key was refused, are reported once and then skipped.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node, Pair, ScalarTag } from 'yaml';
import { ConfigError } from '../errors.js';
import type { ConfigIssue, ErrorCode } from '../errors.js';
import { describeProblem, interpolate } from './interpolate.js';
import type { Env } from './interpolate.js';

/** 1-based line and column; `{ line: 0, col: 0 }` when there is no position (a default value). */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

export const NO_POSITION: SourcePosition = { line: 0, col: 0 };

export type ScalarValue = string | number | boolean | null;

export interface YamlSource {
  /** The file as named in messages (e.g. relative, as the user gave it). */
  readonly file: string;
  readonly doc: Document.Parsed;
  /** The document's node; `null` when empty, and when the YAML does not parse (`issues` says why). */
  readonly root: Node | null;
  readonly issues: readonly ConfigIssue[];
  /** The path the document itself has in messages (`''`, or e.g. `catalog` so items read `catalog[2]`). */
  readonly rootPath: string;
  /** Line and column of an offset in the text. */
  readonly at: (offset: number) => SourcePosition;
  /** Scalars whose `${VAR}` failed and pairs whose key was refused: reported already, skipped by readers. */
  readonly reported: ReadonlySet<unknown>;
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

/** Path of a map key below `parent` (`upstream.url`; top-level keys have no prefix). */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Path of a list item below `parent` (`websocket[1]`). */
export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** A map key as text, or `undefined` when it is not plain text (`[x]: 1`). */
function keyText(key: unknown): string | undefined {
  if (!isScalar(key) || key.value === null || typeof key.value === 'object') return undefined;
  return String(key.value);
}

/** The key path of the last node of `chain` (visit()'s ancestors plus the node). */
function pathOf(rootPath: string, chain: readonly unknown[]): string {
  let path = rootPath;
  chain.forEach((step, i) => {
    if (isPair(step)) path = childPath(path, keyText(step.key) ?? '?');
    else if (isSeq(step)) path = itemPath(path, step.items.indexOf(chain[i + 1]));
  });
  return path;
}

/** Parses YAML text and substitutes `${VAR}` in its scalar values; never throws, problems become issues. */
export function parseYamlSource(text: string, { file, env, rootPath = '' }: YamlSourceOptions): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePosition => lineCounter.linePos(offset);
  const posOf = (node: Node | null | undefined): SourcePosition =>
    node?.range == null ? NO_POSITION : at(node.range[0]);
  const issues: ConfigIssue[] = [];
  const reported = new Set<unknown>();
  const source: YamlSource = { file, doc, root: null, issues, rootPath, at, reported };
  const issue = (path: string, pos: SourcePosition, text: string): void => {
    issues.push({ path, message: `${text} at ${formatLocation(file, pos)}`, file, ...pos });
  };

  const duplicates = new Set(doc.errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => e.pos[0]));
  const problems = [...doc.errors, ...doc.warnings].filter((e) => e.code !== 'DUPLICATE_KEY');
  const [first, ...more] = problems.sort((a, b) => a.pos[0] - b.pos[0]);
  if (first !== undefined) {
    const echoes =
      more.length === 0 ? '' : ` (${more.length} more YAML problem${more.length === 1 ? '' : 's'} after it)`;
    issue(
      rootPath,
      at(first.pos[0]),
      `invalid YAML: ${first.message}${echoes}${syntaxHint(text, first.pos[0])}`,
    );
    return source;
  }

  const name = (path: string): string => (path === '' ? 'the document' : `\`${path}\``);
  visit(doc, {
    Pair(_, pair, ancestors) {
      const map = ancestors.at(-1);
      const key = keyText(pair.key);
      const keyNode = pair.key as Node | null;
      const duplicate = key !== undefined && keyNode?.range != null && duplicates.has(keyNode.range[0]);
      if (key !== undefined && !duplicate) return;
      // Only now: the path costs a walk up the ancestors.
      const where = pathOf(rootPath, ancestors);
      reported.add(pair);
      if (key === undefined) {
        const what = where === '' ? 'a top-level key' : `a key in \`${where}\``;
        issue(where, posOf(keyNode ?? (map as Node)), `${what} must be plain text`);
      } else {
        const earlier = isMap(map) ? map.items.find((p) => keyText(p.key) === key) : undefined;
        const line = posOf(earlier?.key as Node).line;
        const inside = where === '' ? '' : ` in \`${where}\``;
        const first = line === 0 ? '' : ` (first at line ${line})`;
        issue(childPath(where, key), posOf(keyNode), `duplicate key \`${key}\`${inside}${first}`);
      }
    },
    Scalar(key, node, ancestors) {
      // Keys are left alone: `$${K}: 1` is the key `$${K}` (docs/configuration.md "The file": values only).
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const written = node.range == null ? '' : text.slice(node.range[0], node.range[1]);
      const result = interpolate(node.value, env);
      if (result.problems.length > 0) {
        const path = pathOf(rootPath, [...ancestors, node]);
        for (const problem of result.problems) {
          const offset = dollarOffset(node.value, written, problem.index);
          issue(path, at((node.range?.[0] ?? 0) + offset), describeProblem(name(path), problem));
        }
        reported.add(node);
        return;
      }
      // An unquoted, untagged scalar that is exactly one `${…}` is read again as YAML (docs/configuration.md "The file").
      const reread = result.whole && node.type === 'PLAIN' && node.tag === undefined;
      node.value = reread ? resolvePlain(doc, result.value) : result.value;
    },
  });
  return { ...source, root: doc.contents };
}

/** A block list after a flow `[]`: the shipped catalog's `[]` with an entry appended below it. */
function syntaxHint(text: string, offset: number): string {
  const lines = text.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '').trim());
  const at = text.slice(0, offset).split('\n').length - 1;
  const flow = lines.slice(0, at).findLastIndex((line) => line !== '');
  const after = lines.slice(at).find((line) => line !== '') ?? '';
  if (!/\[\s*\]$/.test(lines[flow] ?? '') || !/^-(\s|$)/.test(after)) return '';
  return ` — a \`- …\` list cannot follow \`[]\`, which is a whole (empty) list already: delete the \`[]\` on line ${flow + 1}`;
}

/** Resolves text as an untagged plain scalar of the document's schema: `5000` → 5000, `true`, `` → null. */
function resolvePlain(doc: Document.Parsed, text: string): ScalarValue {
  for (const tag of doc.schema.tags) {
    const scalarTag = tag as ScalarTag;
    if (scalarTag.default !== true || scalarTag.test?.test(text) !== true) continue;
    let ok = true;
    const resolved: unknown = scalarTag.resolve(text, () => (ok = false), doc.options);
    // Some tags resolve to a Scalar node (null does) rather than to the bare value.
    const value = isScalar(resolved) ? resolved.value : resolved;
    if (!ok) return text;
    if (typeof value === 'bigint') return Number(value);
    return value === null || ['string', 'number', 'boolean'].includes(typeof value)
      ? (value as ScalarValue)
      : text;
  }
  return text;
}

/** Offset of a reference's `$` in the scalar as written: the n-th `$` of the value is the n-th written. */
function dollarOffset(value: string, written: string, index: number): number {
  const ordinal = value.slice(0, index).split('$').length - 1;
  let offset = -1;
  for (let seen = 0; seen <= ordinal; seen++) {
    offset = written.indexOf('$', offset + 1);
    if (offset < 0) return 0; // escapes in a double-quoted scalar (`\x24`): the scalar's own position
  }
  return offset;
}

// ---------------------------------------------------------------------------------------------
// The reader

/** A value about to be read: its key path, its node (`undefined` = absent; never an alias), where it sits. */
export interface Field {
  readonly path: string;
  readonly node: Node | undefined;
  readonly pos: SourcePosition;
  /** `false` when the value is a default rather than something written in the file. */
  readonly fromFile: boolean;
}

/** What a converter returns: `{ value }`, what is wrong (shown after the expectation), or `null` (just wrong). */
export type Converted<T> = { readonly value: T } | string | null;

/** What a field holds. */
export type FieldKind = 'absent' | 'failed' | 'null' | 'scalar' | 'map' | 'seq';

export type YamlReader = ReturnType<typeof createReader>;
/** A mapping whose keys were checked against the allowed ones. */
export type MapView = NonNullable<ReturnType<YamlReader['object']>>;

/** What a node is, for `(got …)`: strings quoted, numbers and booleans as written, collections by kind. */
function describeNode(node: Node | undefined): string {
  if (node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return node.items.length === 0 ? 'an empty list' : 'a list';
  const value = isScalar(node) ? node.value : null;
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** ` (did you mean `x`?)` for an unknown key close to an allowed one (Levenshtein distance). */
function suggestion(key: string, allowed: readonly string[]): string {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
      }
      row = next;
    }
    return row[b.length] ?? 0;
  };
  const lower = key.toLowerCase().replace(/-/g, '_');
  const best = allowed
    .map((candidate) => ({ candidate, d: distance(lower, candidate) }))
    .filter(({ d, candidate }) => d <= Math.max(1, Math.floor(candidate.length / 3)))
    .sort((x, y) => x.d - y.d)[0];
  return best === undefined ? '' : ` (did you mean \`${best.candidate}\`?)`;
}

/**
 * The primitives typed reading (key-definitions.ts) is built on: fields with key paths and positions,
 * mappings with unknown keys refused, lists, and the issues, starting with the source's own.
 */
export function createReader(source: YamlSource) {
  const { file, doc, at, reported } = source;
  const issues: ConfigIssue[] = [...source.issues];
  const resolve = (node: unknown): Node | undefined =>
    isAlias(node) ? node.resolve(doc) : ((node as Node | null) ?? undefined);
  const posOf = (node: Node | undefined, orElse: SourcePosition): SourcePosition =>
    node?.range == null ? orElse : at(node.range[0]);
  const kind = ({ node }: Field): FieldKind => {
    if (node === undefined) return 'absent';
    if (reported.has(node)) return 'failed';
    if (isMap(node)) return 'map';
    if (isSeq(node)) return 'seq';
    return isScalar(node) && node.value === null ? 'null' : 'scalar';
  };
  /** Records `<text> at file:line:col` for any path and position. */
  const issueAt = (path: string, pos: SourcePosition, text: string): void => {
    issues.push({ path, message: `${text} at ${formatLocation(file, pos)}`, file, ...pos });
  };
  const name = (path: string): string => (path === '' ? 'the top level' : `\`${path}\``);
  /** Records `` `path` must be <expected> (got <found>)[ — hint] at file:line:col ``; gives `undefined` to return. */
  const fail = (field: Field, expected: string, hint?: string): undefined => {
    const rest = hint === undefined ? '' : ` — ${hint}`;
    const got = describeNode(field.node);
    issueAt(field.path, field.pos, `${name(field.path)} must be ${expected} (got ${got})${rest}`);
    return undefined;
  };
  /** `false` when the field cannot be read: absent (an issue: it is required) or its `${VAR}` failed. */
  const present = (field: Field, expected: string): boolean => {
    if (field.node === undefined)
      issueAt(field.path, field.pos, `${name(field.path)} is required (${expected})`);
    return field.node !== undefined && !reported.has(field.node);
  };

  return {
    file,
    /** Every issue so far, from parsing and from reading; its length tells whether a read added any. */
    issues: issues as readonly ConfigIssue[],
    /** The document itself (path `rootPath`); absent for an empty file. */
    root(): Field {
      const node = resolve(source.root);
      return {
        path: source.rootPath,
        node,
        pos: posOf(node, { line: 1, col: 1 }),
        fromFile: node !== undefined,
      };
    },
    kind,
    present,
    /** A scalar's value (after `${VAR}`); `undefined` for a collection or nothing. */
    value: (field: Field): ScalarValue | undefined =>
      isScalar(field.node) ? (field.node.value as ScalarValue) : undefined,
    /** A scalar as written in the file (`1.10`, `${PORT}`); `''` for a default. */
    written: (field: Field): string => (isScalar(field.node) ? (field.node.source ?? '') : ''),

    /** A mapping with only `keys` allowed (each unknown key is an issue). Absent or `null` reads as `{}`. */
    object(field: Field, keys: readonly string[]) {
      const k = kind(field);
      if (k === 'failed') return undefined;
      if (k !== 'absent' && k !== 'null' && k !== 'map') return fail(field, 'a mapping of keys');
      const pairs = isMap(field.node) ? (field.node.items as Pair[]).filter((p) => !reported.has(p)) : [];
      for (const pair of pairs) {
        const key = keyText(pair.key) ?? '';
        const where = field.path === '' ? '' : ` in \`${field.path}\``;
        const text = `unknown key \`${key}\`${where}${suggestion(key, keys)}`;
        if (!keys.includes(key))
          issueAt(childPath(field.path, key), posOf(pair.key as Node, field.pos), text);
      }
      const pos = posOf(field.node, field.pos);
      const find = (key: string): Pair | undefined => pairs.find((p) => keyText(p.key) === key);
      /** The field `key` would be if the file left it out: `value` (plain JS) standing in, else absent. */
      const fallback = (key: string, value?: unknown): Field => {
        const node = value === undefined ? undefined : doc.createNode(value);
        return { path: childPath(field.path, key), node, pos, fromFile: false };
      };
      return {
        path: field.path,
        pos,
        /** Whether the file sets `key` (an explicit `null` counts). */
        has: (key: string): boolean => find(key) !== undefined,
        fallback,
        /** The field for `key`; when the file leaves it out, `fallback(key, value)`. */
        get(key: string, value?: unknown): Field {
          const pair = find(key);
          if (pair === undefined) return fallback(key, value);
          // `key:` with nothing after it is null; `? key` alone has no value node at all.
          const keyEnd = (pair.key as Node).range?.[1];
          const node = resolve(pair.value) ?? doc.createNode(null);
          const where = posOf(node, keyEnd === undefined ? pos : at(keyEnd));
          return { path: childPath(field.path, key), node, pos: where, fromFile: true };
        },
      };
    },

    /**
     * A list's items (`path[i]`). With `single`, one item may stand without the list (`websocket: {url: …}`);
     * `[]` is refused unless `nonEmpty` is false (docs/configuration.md "More load-time checks").
     */
    list(field: Field, { single = false, nonEmpty = true } = {}): Field[] | undefined {
      if (!present(field, 'a list')) return undefined;
      const { node } = field;
      if (!isSeq(node)) {
        if (single && kind(field) !== 'null') return [field];
        return fail(field, single ? 'an item or a list of items' : 'a list');
      }
      if (nonEmpty && node.items.length === 0) {
        issueAt(
          field.path,
          field.pos,
          `${name(field.path)} must not be an empty list (leave the key out instead)`,
        );
        return undefined;
      }
      return node.items.map((item, i) => {
        const resolved = resolve(item) ?? doc.createNode(null);
        const pos = posOf(resolved, field.pos);
        return { path: itemPath(field.path, i), node: resolved, pos, fromFile: field.fromFile };
      });
    },

    fail,
    /** Records `<text> at file:line:col` for the field. */
    issue: (field: Field, text: string): void => issueAt(field.path, field.pos, text),
    issueAt,

    /** Throws one ConfigError (default code CONFIG_INVALID) holding every issue in file order, if there are any. */
    throwIfIssues(code: ErrorCode = 'CONFIG_INVALID'): void {
      if (issues.length === 0) return;
      // Issues without a position last.
      const key = (i: ConfigIssue): number => (i.line === 0 ? Number.MAX_SAFE_INTEGER : i.line * 1e6 + i.col);
      throw new ConfigError(
        [...issues].sort((a, b) => key(a) - key(b)),
        { code },
      );
    },
  };
}
