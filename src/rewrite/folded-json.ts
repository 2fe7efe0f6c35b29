/**
 * The upstream's reply as the device's parser sees it (CONFIG.md "Reading the upstream's reply").
 *
 * The device parses with cJSON, which matches object keys case-insensitively and returns the FIRST match
 * (device-contract.md §3); `JSON.parse` keeps the LAST duplicate and is case-sensitive. So the reply is read
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

/** foldKey's memory: bounded, because keys come from the upstream. */
const MAX_FOLDED_KEYS = 1024;
const foldedKeys = new Map<string, string>();

/** The top-level keys that make a reply an OTA reply (CONFIG.md "Which reply a device gets"). */
export const SECTION_KEYS = ['server_time', 'websocket', 'mqtt', 'firmware'] as const;

/** Every top-level key the device reads: the four sections plus `activation` (device-contract.md §3). */
export const DEVICE_KEYS = ['server_time', 'websocket', 'mqtt', 'firmware', 'activation'] as const;

export type DeviceKey = (typeof DEVICE_KEYS)[number];

/** Canonical member spellings per section (device-contract.md §3; `timeZone` is the Java upstream's name). */
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
  const folded = /[A-Z]/.test(visible) ? visible.replace(/[A-Z]/g, (c) => c.toLowerCase()) : visible;
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
  for (const [k, v] of Object.entries(obj)) {
    if (k === key) {
      setMember(out, k, value);
      placed = true;
    } else {
      setMember(out, k, v);
    }
  }
  if (!placed) setMember(out, key, value);
  return out;
}

/** A copy without `key` (a member is deleted, never set to `null`: device-contract.md §3). */
export function withoutMember(obj: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (k !== key) setMember(out, k, v);
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

function foldObject(
  obj: JsonObject,
  table: ReadonlyMap<string, string> | null,
  childTable: ChildTable | null,
  counter: { dropped: number },
): JsonObject {
  const out: JsonObject = {};
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(obj)) {
    const folded = foldKey(key);
    if (seen.has(folded)) {
      counter.dropped++;
      continue;
    }
    seen.add(folded);
    const canonical = table?.get(folded);
    const name = canonical ?? key;
    const inner = canonical !== undefined && childTable !== null ? childTable(canonical) : null;
    setMember(out, name, foldValue(value, inner, counter));
  }
  return out;
}

function foldValue(
  value: JsonValue,
  table: ReadonlyMap<string, string> | null,
  counter: { dropped: number },
): JsonValue {
  if (Array.isArray(value)) return value.map((item) => foldValue(item, null, counter));
  if (isJsonObject(value)) return foldObject(value, table, null, counter);
  return value;
}

/**
 * Strict RFC 8259 parse that keeps the first of case-insensitively equal keys at every level (no
 * canonical renaming: see `foldBody`). Also refused: nesting deeper than 64, numbers beyond a double, and
 * unpaired surrogate escapes (cJSON rejects those, so the device could not read the reply either).
 */
export function parseJson(text: string): ParsedJson {
  const cursor: Cursor = { text, pos: 0 };
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

function skipWhitespace(cursor: Cursor): void {
  const { text } = cursor;
  let { pos } = cursor;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    // RFC 8259 §2: space, horizontal tab, line feed, carriage return — nothing else.
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    pos++;
  }
  cursor.pos = pos;
}

function parseValue(cursor: Cursor, depth: number): JsonValue {
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
  const seen = new Set<string>();
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
    // First match wins, as cJSON_GetObjectItem returns it (device-contract.md §3); later ones are still
    // parsed so that a syntax error anywhere makes the whole reply invalid.
    if (!seen.has(folded)) {
      seen.add(folded);
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

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function parseString(cursor: Cursor): string {
  const { text } = cursor;
  let pos = cursor.pos + 1; // after the opening quote
  let out = '';
  let runStart = pos;
  for (;;) {
    if (pos >= text.length) {
      cursor.pos = pos;
      throw new JsonSyntaxError('unterminated string');
    }
    const c = text.charCodeAt(pos);
    if (c === 0x22) {
      out += text.slice(runStart, pos);
      cursor.pos = pos + 1;
      return out;
    }
    if (c < 0x20) {
      cursor.pos = pos;
      fail(cursor, 'control character in string');
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      // A raw unpaired surrogate cannot come from UTF-8 and would be written out as an escape cJSON rejects.
      const low = text.charCodeAt(pos + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
        cursor.pos = pos;
        throw new JsonSyntaxError(`unpaired surrogate at offset ${pos}`);
      }
      pos += 2;
      continue;
    }
    if (c !== 0x5c) {
      pos++;
      continue;
    }
    out += text.slice(runStart, pos);
    const e = text.charAt(pos + 1);
    if (e === 'u') {
      const code = readHex4(cursor, text, pos + 2);
      if (code >= 0xdc00 && code <= 0xdfff) {
        cursor.pos = pos;
        throw new JsonSyntaxError(`unpaired surrogate escape at offset ${pos}`);
      }
      if (code >= 0xd800 && code <= 0xdbff) {
        // cJSON (utf16_literal_to_utf8) needs the low half right after, as `\uDC00`–`\uDFFF`.
        const low = text.slice(pos + 6, pos + 8) === '\\u' ? readHex4(cursor, text, pos + 8) : -1;
        if (!(low >= 0xdc00 && low <= 0xdfff)) {
          cursor.pos = pos;
          throw new JsonSyntaxError(`unpaired surrogate escape at offset ${pos}`);
        }
        out += String.fromCharCode(code, low);
        pos += 12;
      } else {
        out += String.fromCharCode(code);
        pos += 6;
      }
    } else {
      const decoded = ESCAPES[e];
      if (decoded === undefined) {
        cursor.pos = pos;
        fail(cursor, 'invalid escape');
      }
      out += decoded;
      pos += 2;
    }
    runStart = pos;
  }
}

function readHex4(cursor: Cursor, text: string, at: number): number {
  const hex = text.slice(at, at + 4);
  if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
    cursor.pos = at;
    fail(cursor, 'expected four hex digits');
  }
  return Number.parseInt(hex, 16);
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
