/**
 * The upstream's reply as the device's parser sees it (docs/configuration.md "Reading the upstream's reply").
 *
 * The device parses with cJSON, which matches object keys case-insensitively and returns the FIRST match
 * (docs/device-contract.md §3); `JSON.parse` keeps the LAST duplicate and is case-sensitive. So the reply is read
 * here with a strict RFC 8259 parser that keeps, at every object level, only the first occurrence of each
 * key compared the way cJSON compares them, and every later stage works on that view. The reply the proxy
 * writes is serialised from it, so a second `"MQTT"` after `"mqtt"` never reaches a device.
 *
 * The folded view also renames case-variants of the sections (`server_time`, `websocket`, `mqtt`,
 * `firmware`, `activation`) and of their known members to one canonical spelling, so rules and the guard can
 * use plain property access (`body.websocket.url`, never `body.WebSocket.URL`). The device does not see a
 * difference in the sections (it folds case itself); for `websocket`/`mqtt` members it is a fix, because the
 * firmware stores each member in flash under the key as sent and later reads it back by its lowercase name.
 * Every other key keeps its spelling.
 */
import type { JsonObject, JsonValue } from './types.js';

const NON_ASCII = /[\u0080-\u{10FFFF}]/u;

/** foldKey's memory: bounded, because keys come from the upstream. */
const MAX_FOLDED_KEYS = 1024;
const foldedKeys = new Map<string, string>();

/** The top-level keys that make a reply an OTA reply (docs/configuration.md "Which reply a device gets"). */
export const SECTION_KEYS = ['server_time', 'websocket', 'mqtt', 'firmware'] as const;

/** Every top-level key the device reads: the four sections plus `activation` (docs/device-contract.md §3). */
export const DEVICE_KEYS = ['server_time', 'websocket', 'mqtt', 'firmware', 'activation'] as const;

export type DeviceKey = (typeof DEVICE_KEYS)[number];

/** Canonical member spellings per section (docs/device-contract.md §3; `timeZone` is the Java upstream's name). */
const SECTION_MEMBERS: Readonly<Record<DeviceKey, readonly string[]>> = {
  server_time: ['timestamp', 'timezone_offset', 'timeZone'],
  websocket: ['url', 'token', 'version'],
  mqtt: ['endpoint', 'client_id', 'username', 'password', 'keepalive', 'publish_topic', 'subscribe_topic'],
  firmware: ['version', 'url', 'force'],
  activation: ['code', 'message', 'challenge', 'timeout_ms'],
};

function canonicalTable(names: readonly string[]): ReadonlyMap<string, string> {
  return new Map(names.map((name) => [foldKey(name), name]));
}

const TOP_LEVEL = canonicalTable(DEVICE_KEYS);
const MEMBERS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  DEVICE_KEYS.map((section) => [section, canonicalTable(SECTION_MEMBERS[section])]),
);

/** Deeper than any OTA reply (which nests two levels) and shallow enough for the stack; cJSON allows 1000. */
const MAX_DEPTH = 64;

/**
 * Values (object members and array items, at any depth) a reply may hold: as many as a device-facing
 * reply could ever carry, under 4 KiB at 2 bytes (`0,`) each. More can never be answered, so the parse stops
 * there instead of building an object of 150,000 keys from a 1 MiB reply (seconds of a blocked event loop):
 * the reply is refused and the fallback answers. Real replies hold about twenty.
 */
export const MAX_VALUES = 2048;

/** The reply's shape, read as the device reads it. */
export type UpstreamBody =
  | { readonly kind: 'sections'; readonly body: JsonObject }
  | { readonly kind: 'other-object'; readonly body: JsonObject }
  | { readonly kind: 'not-object' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** What `parseJson` found: a value (duplicates folded away) or why the text is not JSON. */
export type ParsedJson =
  { readonly ok: true; readonly value: JsonValue } | { readonly ok: false; readonly reason: string };

/**
 * A key as cJSON compares it: ASCII-only case folding (`tolower` byte by byte in the C locale, so `K` and
 * the Kelvin sign stay different), up to the first NUL (a C string ends there, so `"mqtt\u0000x"` is `mqtt`).
 */
export function foldKey(key: string): string {
  // Every key of every reply passes here (parse, fold, guard) and replies reuse a handful of keys.
  const cached = foldedKeys.get(key);
  if (cached !== undefined) return cached;
  const nul = key.indexOf('\u0000');
  const visible = nul < 0 ? key : key.slice(0, nul);
  // ASCII letters only: `toLowerCase` alone would also fold non-ASCII ones (the Kelvin sign to `k`).
  const folded = !/[A-Z]/.test(visible)
    ? visible
    : NON_ASCII.test(visible)
      ? visible.replace(/[A-Z]+/g, (run) => run.toLowerCase())
      : visible.toLowerCase();
  // Bounded: keys come from the upstream, so the cache must not grow with what it sends.
  if (foldedKeys.size < MAX_FOLDED_KEYS && key.length <= 64) foldedKeys.set(key, folded);
  return folded;
}

/** A JSON object (not `null`, not an array). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object's own member `key`, never one inherited from `Object.prototype` (`constructor`, `toString` …). */
export function ownMember(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own data property; `__proto__` included, which plain assignment would turn into a prototype change. */
export function setMember(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** A copy with `key` set: in its old position when present, else appended (the upstream's key order is kept). */
export function withMember(obj: JsonObject, key: string, value: JsonValue): JsonObject {
  const out: JsonObject = {};
  let placed = false;
  for (const k of Object.keys(obj)) {
    if (k === key) {
      setMember(out, k, value);
      placed = true;
    } else {
      setMember(out, k, obj[k] as JsonValue);
    }
  }
  if (!placed) setMember(out, key, value);
  return out;
}

/** A copy without `key` (a member is deleted, never set to `null`: docs/device-contract.md §3). */
export function withoutMember(obj: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) if (k !== key) setMember(out, k, obj[k] as JsonValue);
  return out;
}

/**
 * Reads the upstream's reply: `sections` (an object with `server_time`/`websocket`/`mqtt`/`firmware`,
 * case-folded), `other-object` (its error shapes), `not-object` or `invalid`.
 */
export function classifyUpstreamBody(text: string): UpstreamBody {
  // Trailing non-whitespace after the value counts as invalid: cJSON would ignore it, but such a reply is
  // truncated, concatenated or corrupt, and the fallback is the safe answer (parseJson refuses it).
  const parsed = parseJson(text);
  if (!parsed.ok) return { kind: 'invalid', reason: parsed.reason };
  if (!isJsonObject(parsed.value)) return { kind: 'not-object' };
  const body = foldBody(parsed.value);
  const hasSection = SECTION_KEYS.some((key) => Object.hasOwn(body, key));
  return hasSection ? { kind: 'sections', body } : { kind: 'other-object', body };
}

/**
 * The folded view of an object already in memory: first occurrence of each key (cJSON's comparison) at
 * every level, sections and their known members renamed to the canonical spelling. Idempotent; the guard
 * runs it again so bodies built elsewhere (the fallback) get the same treatment.
 */
export function foldBody(body: JsonObject): JsonObject {
  return foldObject(body, TOP_LEVEL, (canonical) => MEMBERS.get(canonical) ?? null, { dropped: 0 });
}

/** Like `foldBody`, also counting the members dropped as duplicates (for the guard's repair list). */
export function foldBodyCounting(body: JsonObject): { readonly body: JsonObject; readonly dropped: number } {
  const counter = { dropped: 0 };
  const folded = foldObject(body, TOP_LEVEL, (canonical) => MEMBERS.get(canonical) ?? null, counter);
  return { body: folded, dropped: counter.dropped };
}

type ChildTable = (canonicalKey: string) => ReadonlyMap<string, string> | null;

/**
 * The folded copy of `obj` — or `obj` itself when folding changes nothing at any level (no duplicate, no
 * member renamed), as for nearly every reply: the parse already kept first occurrences, and the guard folds
 * the finished reply again. Values are never mutated (docs/contributing.md §3), so sharing them is safe; a
 * copy is made only from the first member that differs.
 */
function foldObject(
  obj: JsonObject,
  table: ReadonlyMap<string, string> | null,
  childTable: ChildTable | null,
  counter: { dropped: number },
): JsonObject {
  // Walked with `for…in` (own keys only) so that no array of keys is built for the usual unchanged object;
  // the array is taken only when a copy or the folded keys so far are needed.
  let keys: string[] | null = null;
  let out: JsonObject | null = null;
  let seen: Set<string> | null = null;
  let i = -1;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    i++;
    const value = obj[key] as JsonValue;
    const folded = foldKey(key);
    // An object's keys are distinct, so two can only fold to one when a key changes by folding (capitals,
    // a NUL): only then are the folded keys collected, from that member on.
    if (seen === null && folded !== key) {
      keys ??= Object.keys(obj);
      seen = new Set<string>();
      for (let j = 0; j < i; j++) seen.add(foldKey(keys[j] as string));
    }
    if (seen !== null) {
      if (seen.has(folded)) {
        counter.dropped++;
        out ??= copyOf(obj, (keys ??= Object.keys(obj)), i);
        continue;
      }
      seen.add(folded);
    }
    const canonical = table?.get(folded);
    const name = canonical ?? key;
    const inner = canonical !== undefined && childTable !== null ? childTable(canonical) : null;
    const child = foldValue(value, inner, counter);
    if (out === null && (name !== key || child !== value)) out = copyOf(obj, (keys ??= Object.keys(obj)), i);
    if (out !== null) setMember(out, name, child);
  }
  return out ?? obj;
}

/** A new object with the first `count` members of `obj` (in `keys` order). */
function copyOf(obj: JsonObject, keys: readonly string[], count: number): JsonObject {
  const out: JsonObject = {};
  for (let j = 0; j < count; j++) {
    const key = keys[j] as string;
    setMember(out, key, obj[key] as JsonValue);
  }
  return out;
}

function foldValue(
  value: JsonValue,
  table: ReadonlyMap<string, string> | null,
  counter: { dropped: number },
): JsonValue {
  if (Array.isArray(value)) {
    let out: JsonValue[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as JsonValue;
      const folded = foldValue(item, null, counter);
      if (out === null && folded !== item) out = value.slice(0, i);
      out?.push(folded);
    }
    return out ?? value;
  }
  if (isJsonObject(value)) return foldObject(value, table, null, counter);
  return value;
}

/**
 * Strict RFC 8259 parse that keeps the first of case-insensitively equal keys at every level (no
 * canonical renaming: see `foldBody`). Also refused: nesting deeper than 64, more than `MAX_VALUES` values,
 * numbers beyond a double, and unpaired surrogates (cJSON rejects those, so the device could not read the
 * reply either). Its work is bounded by the input's length (strings and blanks are scanned natively) and
 * by `MAX_VALUES`, whatever the input.
 *
 * Nearly every reply has no duplicate key and nothing to refuse: for those, `JSON.parse` (native, about a
 * fifth of the cost) builds the same value, and `parseFirstWins` runs only when a check below says the two
 * could differ.
 */
export function parseJson(text: string): ParsedJson {
  const quick = parseNative(text);
  return quick === null ? parseFirstWins(text) : { ok: true, value: quick };
}

/**
 * `JSON.parse(text)` when it is exactly what `parseFirstWins` would return, else `null`. They agree on
 * syntax, whitespace, escapes, control characters, key order and `__proto__`; they can differ on duplicate
 * keys (JSON.parse keeps the last, exact duplicates counted here as members in the text against members
 * parsed), keys that fold together (`mqtt` and `MQTT`), unpaired surrogates, infinite numbers, depth and
 * size — each checked, and any of them sends the text to the full parser, which answers it exactly.
 */
function parseNative(text: string): JsonValue | null {
  if (text.length > NATIVE_MAX_CHARS) return null;
  // Unpaired surrogates, raw or escaped: rare in a reply, so any escaped surrogate takes the full parser.
  if (LONE_SURROGATE.test(text) || (text.includes('\\u') && ESCAPED_SURROGATE.test(text))) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const census = { values: 0, members: 0 };
  if (!plainValue(value as JsonValue, 0, census)) return null;
  return census.members === membersInText(text) ? (value as JsonValue) : null;
}

/** `\uD800`–`\uDFFF` written as an escape (or a false alarm after an escaped backslash: then the full parser). */
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
/** Longer texts go to the full parser, whose work `MAX_VALUES` bounds; no device reply comes near it. */
const NATIVE_MAX_CHARS = 16 * 1024;

/**
 * Whether `value` (depth `depth`) stays within the full parser's limits with finite numbers and no two
 * keys of an object folding to one; counts values and object members into `census`.
 */
function plainValue(value: JsonValue, depth: number, census: { values: number; members: number }): boolean {
  if (++census.values > MAX_VALUES) return false;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth + 1 > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!plainValue(item, depth + 1, census)) return false;
    return true;
  }
  // `for…in` walks the keys without building an array of them (own ones only: JSON.parse makes plain objects).
  let folded: Set<string> | null = null;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    census.members += 1;
    const fold = foldKey(key);
    if (folded === null && fold !== key) {
      // The first key that changes by folding: from here on, folded keys are compared.
      folded = new Set<string>();
      for (const earlier of Object.keys(value)) {
        if (earlier === key) break;
        folded.add(foldKey(earlier));
      }
    }
    if (folded !== null) {
      if (folded.has(fold)) return false;
      folded.add(fold);
    }
    if (!plainValue(value[key] as JsonValue, depth + 1, census)) return false;
  }
  return true;
}

/** Object members written in `text` (valid JSON): each `:` outside a string starts one. */
function membersInText(text: string): number {
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) members++;
  }
  return members;
}

/** The full parser: first occurrence wins at every level; every refusal with its reason. */
export function parseFirstWins(text: string): ParsedJson {
  const cursor: Cursor = { text, pos: 0, values: 0 };
  // A leading byte order mark is tolerated (RFC 8259 §8.1 allows ignoring it); the reply is re-serialised anyway.
  if (text.charCodeAt(0) === 0xfeff) cursor.pos = 1;
  try {
    skipWhitespace(cursor);
    if (cursor.pos >= text.length) return { ok: false, reason: 'empty body' };
    const value = parseValue(cursor, 0);
    skipWhitespace(cursor);
    if (cursor.pos < text.length) return { ok: false, reason: `trailing data at offset ${cursor.pos}` };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, reason: err.message };
    throw err;
  }
}

interface Cursor {
  readonly text: string;
  pos: number;
  /** Values parsed so far (see `MAX_VALUES`). */
  values: number;
}

/** Internal: unwinds the recursive descent; turned into `{ ok: false, reason }` by `parseJson`. */
class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

function fail(cursor: Cursor, what: string): never {
  if (cursor.pos >= cursor.text.length) throw new JsonSyntaxError(`unexpected end of input (${what})`);
  const found = JSON.stringify(cursor.text.charAt(cursor.pos));
  throw new JsonSyntaxError(`unexpected ${found} at offset ${cursor.pos} (${what})`);
}

/** RFC 8259 §2 whitespace: space, horizontal tab, line feed, carriage return — nothing else. */
const WHITESPACE = /[ \t\n\r]*/y;

function skipWhitespace(cursor: Cursor): void {
  WHITESPACE.lastIndex = cursor.pos;
  WHITESPACE.test(cursor.text);
  cursor.pos = WHITESPACE.lastIndex;
}

function parseValue(cursor: Cursor, depth: number): JsonValue {
  cursor.values += 1;
  if (cursor.values > MAX_VALUES)
    throw new JsonSyntaxError(
      `more than ${MAX_VALUES} values at offset ${cursor.pos}: no device reply holds that many`,
    );
  const c = cursor.text.charAt(cursor.pos);
  switch (c) {
    case '{':
      return parseObject(cursor, depth + 1);
    case '[':
      return parseArray(cursor, depth + 1);
    case '"':
      return parseString(cursor);
    case 't':
      return parseLiteral(cursor, 'true', true);
    case 'f':
      return parseLiteral(cursor, 'false', false);
    case 'n':
      return parseLiteral(cursor, 'null', null);
    default:
      if (c === '-' || (c >= '0' && c <= '9')) return parseNumber(cursor);
      return fail(cursor, 'expected a value');
  }
}

function enter(cursor: Cursor, depth: number): void {
  if (depth > MAX_DEPTH)
    throw new JsonSyntaxError(`nesting deeper than ${MAX_DEPTH} at offset ${cursor.pos}`);
}

function parseObject(cursor: Cursor, depth: number): JsonObject {
  enter(cursor, depth);
  cursor.pos++; // `{`
  const out: JsonObject = {};
  // The folded keys so far, collected only once a key changes by folding: until then a key already seen is
  // one already in `out` (the same text).
  let seen: Set<string> | null = null;
  skipWhitespace(cursor);
  if (cursor.text.charAt(cursor.pos) === '}') {
    cursor.pos++;
    return out;
  }
  for (;;) {
    skipWhitespace(cursor);
    if (cursor.text.charAt(cursor.pos) !== '"') fail(cursor, 'expected a key');
    const key = parseString(cursor);
    skipWhitespace(cursor);
    if (cursor.text.charAt(cursor.pos) !== ':') fail(cursor, 'expected ":"');
    cursor.pos++;
    skipWhitespace(cursor);
    const value = parseValue(cursor, depth);
    const folded = foldKey(key);
    if (seen === null && folded !== key) seen = new Set(Object.keys(out));
    // First match wins, as cJSON_GetObjectItem returns it (docs/device-contract.md §3); later ones are still
    // parsed so that a syntax error anywhere makes the whole reply invalid.
    if (seen === null ? !Object.hasOwn(out, key) : !seen.has(folded)) {
      seen?.add(folded);
      setMember(out, key, value);
    }
    skipWhitespace(cursor);
    const next = cursor.text.charAt(cursor.pos);
    cursor.pos++;
    if (next === ',') continue;
    if (next === '}') return out;
    cursor.pos--;
    fail(cursor, 'expected "," or "}"');
  }
}

function parseArray(cursor: Cursor, depth: number): JsonValue[] {
  enter(cursor, depth);
  cursor.pos++; // `[`
  const out: JsonValue[] = [];
  skipWhitespace(cursor);
  if (cursor.text.charAt(cursor.pos) === ']') {
    cursor.pos++;
    return out;
  }
  for (;;) {
    skipWhitespace(cursor);
    out.push(parseValue(cursor, depth));
    skipWhitespace(cursor);
    const next = cursor.text.charAt(cursor.pos);
    cursor.pos++;
    if (next === ',') continue;
    if (next === ']') return out;
    cursor.pos--;
    fail(cursor, 'expected "," or "]"');
  }
}

/** A code point below U+0020, written without control characters in the pattern (`u`: by code point). */
const CONTROL = /[^ -\u{10FFFF}]/u;
/** A surrogate that is not half of a pair (`u` reads a pair as one astral code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A string token, found and checked with native scans: the closing quote is the first `"` after an even
 * run of backslashes; raw control characters and unpaired surrogates are refused (cJSON rejects them);
 * escapes are decoded by `JSON.parse` of the token alone, which refuses any invalid one.
 */
function parseString(cursor: Cursor): string {
  const { text } = cursor;
  const start = cursor.pos + 1; // after the opening quote
  let end = text.indexOf('"', start);
  for (;;) {
    if (end < 0) {
      cursor.pos = text.length;
      throw new JsonSyntaxError('unterminated string');
    }
    let backslashes = 0;
    while (end - backslashes - 1 >= start && text.charCodeAt(end - backslashes - 1) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) break;
    end = text.indexOf('"', end + 1);
  }
  const raw = text.slice(start, end);
  const control = raw.search(CONTROL);
  if (control >= 0) {
    cursor.pos = start + control;
    fail(cursor, 'control character in string');
  }
  let value = raw;
  if (raw.includes('\\')) {
    try {
      // The token with its own quotes, sliced rather than concatenated (a rope would be copied first).
      value = JSON.parse(text.slice(start - 1, end + 1)) as string;
    } catch {
      cursor.pos = start;
      throw new JsonSyntaxError(`invalid escape in the string at offset ${start}`);
    }
  }
  if (LONE_SURROGATE.test(value)) {
    cursor.pos = start;
    throw new JsonSyntaxError(`unpaired surrogate in the string at offset ${start}`);
  }
  cursor.pos = end + 1;
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function parseNumber(cursor: Cursor): number {
  NUMBER.lastIndex = cursor.pos;
  const match = NUMBER.exec(cursor.text);
  if (match === null) return fail(cursor, 'invalid number');
  const value = Number(match[0]);
  // `1e400` would become Infinity and be written out as `null`: refuse instead of changing a value.
  if (!Number.isFinite(value)) throw new JsonSyntaxError(`number out of range at offset ${cursor.pos}`);
  cursor.pos += match[0].length;
  return value;
}

function parseLiteral<T extends JsonValue>(cursor: Cursor, word: string, value: T): T {
  if (cursor.text.startsWith(word, cursor.pos)) {
    cursor.pos += word.length;
    return value;
  }
  return fail(cursor, `expected ${word}`);
}
