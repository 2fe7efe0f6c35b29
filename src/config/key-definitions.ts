/**
 * Keys as data: for each key its type, default (as written in YAML), bounds, allowed values and a
 * one-line doc. `readKeys` reads a mapping by its definitions and `readValue` one value (the keys of
 * proxy.yaml in proxy-keys.ts, its `when:` items in items.ts and conditions.ts, a catalog entry in
 * firmware/catalog-parse.ts); json-schema.ts turns the same definitions into the JSON Schema editors
 * use, so the two cannot disagree. Values that need real parsing (URLs, host:port, CIDRs, templates,
 * zones) name their converter; checks that span keys stay code.
 */
import type { Converted, Field, ScalarValue, YamlReader } from './yaml-source.js';

/** A JSON Schema (draft-07) fragment, as data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** What every key definition carries. */
interface Documented {
  /** One line for people: the schema's `description`. */
  readonly doc: string;
  /** The value when the file leaves the key out, as written in YAML. */
  readonly default?: unknown;
  /** Without a default: the key may be left out, and is then left out of the values too; else it is required. */
  readonly optional?: boolean;
  /** `null` is a value of its own (`null` = off). */
  readonly nullable?: boolean;
}

export type LeafSpec =
  | { readonly kind: 'int'; readonly min?: number; readonly max?: number }
  | {
      readonly kind: 'number';
      readonly min?: number;
      readonly max?: number;
      /** Exclusive lower bound (a time window above 0). */
      readonly above?: number;
      readonly decimals?: number;
    }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | {
      /** Text: a number where text was meant (`version: 1.10`) is refused with advice to quote it. */
      readonly kind: 'text';
      /** Replaces `a string` in messages. */
      readonly expected?: string;
      readonly minLength?: number;
      readonly pattern?: RegExp;
      /** A further check and conversion; a string result says what is wrong. */
      readonly accept?: (text: string) => Converted<unknown>;
    }
  | {
      /** A string with a meaning (a URL, host:port…): converted, never hinted to be quoted. */
      readonly kind: 'parsed';
      readonly expected: string;
      readonly parse: (text: string) => Converted<unknown>;
      readonly schema?: JsonSchema;
    }
  | {
      /** A scalar of any type; `written` is its text as in the file (`112233445566` unquoted is a MAC). */
      readonly kind: 'scalar';
      readonly expected: string;
      readonly convert: (value: ScalarValue, written: string) => Converted<unknown>;
      readonly schema: JsonSchema;
    }
  | {
      /** One value or a list of them (`single`); `[]` refused unless `nonEmpty` is false. */
      readonly kind: 'list';
      readonly item: LeafDef<unknown>;
      readonly single?: boolean;
      readonly nonEmpty?: boolean;
    }
  | {
      readonly kind: 'custom';
      readonly read: (r: YamlReader, field: Field) => unknown;
      readonly schema: JsonSchema;
    };

/** A key holding a value; `T` (never stored) is what reading it gives. */
export type LeafDef<T> = LeafSpec & Documented & { readonly type?: T };

export interface SectionDef<K extends Keys = Keys> {
  readonly kind: 'section';
  readonly doc: string;
  readonly keys: K;
}

export type KeyDef = LeafDef<unknown> | SectionDef;
export type Keys = { readonly [name: string]: KeyDef };

/** What reading a definition gives. */
export type ValueOf<D> = D extends SectionDef<infer K> ? Values<K> : D extends LeafDef<infer T> ? T : never;
type OptionalKeys<K> = { [P in keyof K]: K[P] extends { readonly optional: true } ? P : never }[keyof K];
export type Values<K extends Keys> = {
  readonly [P in Exclude<keyof K, OptionalKeys<K>>]: ValueOf<K[P]>;
} & { readonly [P in OptionalKeys<K>]?: ValueOf<K[P]> };

type Options<S, Omitted extends string = never> = Omit<S, 'kind' | Omitted> & Documented;
type Spec<Kind> = Extract<LeafSpec, { kind: Kind }>;

export const int = (o: Options<Spec<'int'>>): LeafDef<number> => ({ kind: 'int', ...o });
export const number = (o: Options<Spec<'number'>>): LeafDef<number> => ({ kind: 'number', ...o });
export const bool = (o: Documented): LeafDef<boolean> => ({ kind: 'bool', ...o });
/** Text; with `accept`, text converted to `T`. */
export function text<T>(
  o: Options<Spec<'text'>, 'accept'> & { readonly accept: (text: string) => Converted<T> },
): LeafDef<T>;
export function text(o: Options<Spec<'text'>, 'accept'>): LeafDef<string>;
export function text(o: Options<Spec<'text'>>): LeafDef<unknown> {
  return { kind: 'text', ...o };
}
export const oneOf = <const V extends readonly string[]>(values: V, o: Documented): LeafDef<V[number]> => ({
  kind: 'enum',
  values,
  ...o,
});
export const parsed = <T>(
  o: Options<Spec<'parsed'>, 'parse'> & { readonly parse: (text: string) => Converted<T> },
): LeafDef<T> => ({ kind: 'parsed', ...o });
export const scalar = <T>(
  o: Options<Spec<'scalar'>, 'convert'> & {
    readonly convert: (value: ScalarValue, written: string) => Converted<T>;
  },
): LeafDef<T> => ({ kind: 'scalar', ...o });
export const list = <T>(item: LeafDef<T>, o: Options<Spec<'list'>, 'item'>): LeafDef<T[]> => ({
  kind: 'list',
  item,
  ...o,
});
export const custom = <T>(
  o: Options<Spec<'custom'>, 'read'> & { readonly read: (r: YamlReader, field: Field) => T | undefined },
): LeafDef<T> => ({ kind: 'custom', ...o });
/** The same key, where `null` is also a value. */
export const orNull = <T>(def: LeafDef<T>): LeafDef<T | null> => ({ ...def, nullable: true });
/** The same key, which may be left out (its value then too). */
export const optional = <T>(def: LeafDef<T>): LeafDef<T> & { readonly optional: true } => ({
  ...def,
  optional: true,
});
export const section = <K extends Keys>(doc: string, keys: K): SectionDef<K> => ({
  kind: 'section',
  doc,
  keys,
});

/** Where a key was read from, and whether its value was usable (checks that span keys need both). */
export interface ReadKey {
  readonly field: Field;
  readonly valid: boolean;
}

export interface KeysRead<K extends Keys> {
  /** Every key usable (no issue recorded while reading them). */
  readonly ok: boolean;
  /** An unusable key with a default holds its default, so checks spanning keys can still run; `undefined` when a key without one is unusable. */
  readonly values: Values<K> | undefined;
  /** A key by its path (`limits.headers_timeout_ms`, `catalog[2].version`). */
  readonly at: (path: string) => ReadKey;
}

/** Reads the mapping at `field` by `keys` (not a mapping: an issue, and read as empty); problems are issues of `r`. */
export function readKeys<K extends Keys>(r: YamlReader, field: Field, keys: K): KeysRead<K> {
  const read = new Map<string, ReadKey>();
  const before = r.issues.length;
  const values = readSection(r, field, keys, read) as Values<K> | undefined;
  return {
    ok: values !== undefined && [...read.values()].every((key) => key.valid) && r.issues.length === before,
    values,
    at: (path) =>
      read.get(path) ?? { field: { ...field, path, node: undefined, fromFile: false }, valid: false },
  };
}

function readSection(
  r: YamlReader,
  field: Field,
  keys: Keys,
  read: Map<string, ReadKey>,
): Record<string, unknown> | undefined {
  const names = Object.keys(keys);
  const view = r.object(field, names) ?? r.object({ ...field, node: undefined }, names);
  if (view === undefined) return undefined;
  const out: Record<string, unknown> = {};
  let complete = true;
  for (const [name, def] of Object.entries(keys)) {
    if (def.kind === 'section') {
      out[name] = readSection(r, view.get(name), def.keys, read);
      complete &&= out[name] !== undefined;
      continue;
    }
    if (def.optional === true && !view.has(name)) continue;
    const child = view.get(name, def.default);
    let value = readValue(r, child, def);
    read.set(child.path, { field: child, valid: value !== undefined });
    // A stand-in so that the checks spanning keys still run; the issue is recorded, so it is never used.
    if (value === undefined && 'default' in def) value = readValue(r, view.fallback(name, def.default), def);
    out[name] = value;
    complete &&= value !== undefined;
  }
  return complete ? out : undefined;
}

/** Reads one value by its definition; `undefined` when unusable, its issue recorded (a failed `${VAR}` silently). */
export function readValue<T>(r: YamlReader, field: Field, def: LeafDef<T>): T | undefined {
  const kind = r.kind(field);
  if (def.nullable === true && (kind === 'absent' || kind === 'null')) return null as T;
  return readLeaf(r, field, def) as T | undefined;
}

function readLeaf(r: YamlReader, field: Field, def: LeafDef<unknown>): unknown {
  switch (def.kind) {
    case 'int': {
      const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = def;
      const ok = (v: unknown): boolean =>
        Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
      return check(r, field, range('an integer', min, max), ok);
    }
    case 'number': {
      const { min = -Number.MAX_VALUE, max = Number.MAX_VALUE, decimals, above } = def;
      const places =
        decimals === undefined ? '' : ` with at most ${decimals} decimal${decimals === 1 ? '' : 's'}`;
      // Tolerate binary rounding (0.29 * 100 = 28.999999999999996).
      const scaled = (v: number): number => v * 10 ** (decimals ?? 0);
      const ok = (v: unknown): boolean =>
        typeof v === 'number' &&
        Number.isFinite(v) &&
        v >= min &&
        v <= max &&
        (decimals === undefined || Math.abs(scaled(v) - Math.round(scaled(v))) < 1e-6);
      const value = check(r, field, `${range('a number', min, max)}${places}`, ok);
      if (value === undefined || above === undefined || (value as number) > above) return value;
      return r.fail(field, `a number above ${above}`);
    }
    case 'bool':
      return check(r, field, 'true or false', (v) => typeof v === 'boolean');
    case 'enum': {
      const quoted = def.values.map((v) => `\`${v}\``);
      const expected = quoted.length === 1 ? `${quoted[0]}` : `one of ${quoted.join(', ')}`;
      return check(r, field, expected, (v) => def.values.some((allowed) => allowed === v));
    }
    case 'text': {
      const { expected = 'a string', minLength = 0, pattern, accept } = def;
      const value = check(r, field, expected, (v) => typeof v === 'string', 'quote');
      if (typeof value !== 'string') return undefined;
      if (value.length < minLength || pattern?.test(value) === false) return r.fail(field, expected);
      return accept === undefined ? value : converted(r, field, expected, accept(value));
    }
    case 'parsed': {
      const value = check(r, field, def.expected, (v) => typeof v === 'string');
      return typeof value === 'string' ? converted(r, field, def.expected, def.parse(value)) : undefined;
    }
    case 'scalar': {
      if (!r.present(field, def.expected)) return undefined;
      if (r.kind(field) !== 'scalar' && r.kind(field) !== 'null') return r.fail(field, def.expected);
      return converted(r, field, def.expected, def.convert(r.value(field) ?? null, r.written(field)));
    }
    case 'list': {
      const items = r.list(field, { single: def.single ?? false, nonEmpty: def.nonEmpty ?? true });
      const values = items?.map((item) => readValue(r, item, def.item));
      return values?.every((v) => v !== undefined) === true ? values : undefined;
    }
    case 'custom':
      return def.read(r, field);
    default: {
      const never: never = def;
      return never;
    }
  }
}

/** A scalar value that `accept` takes; else an issue, with advice to quote a number where text was meant. */
function check(
  r: YamlReader,
  field: Field,
  expected: string,
  accept: (value: unknown) => boolean,
  quote?: 'quote',
): unknown {
  if (!r.present(field, expected)) return undefined;
  const value = r.value(field);
  if (accept(value)) return value;
  if (quote === undefined || (typeof value !== 'number' && typeof value !== 'boolean'))
    return r.fail(field, expected);
  // YAML reads `1.10` as the number 1.1: the text as written is what the user meant.
  const written = r.written(field);
  const shown = written !== '' && !written.includes('$') ? written : String(value);
  return r.fail(field, expected, `write it in quotes ("${shown}") so YAML reads it as text`);
}

function converted<T>(r: YamlReader, field: Field, expected: string, result: Converted<T>): T | undefined {
  if (result !== null && typeof result !== 'string') return result.value;
  return r.fail(field, expected, result ?? undefined);
}

function range(what: string, min: number, max: number): string {
  const lowOpen = min <= Number.MIN_SAFE_INTEGER || min === -Number.MAX_VALUE;
  const highOpen = max >= Number.MAX_SAFE_INTEGER || max === Number.MAX_VALUE;
  if (lowOpen && highOpen) return what;
  if (highOpen) return `${what} ≥ ${min}`;
  if (lowOpen) return `${what} ≤ ${max}`;
  return `${what} from ${min} to ${max}`;
}
