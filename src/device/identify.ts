/**
 * Who is asking: the device as the proxy reads it from the OTA request (docs/configuration.md "The device, as the
 * proxy reads it"; docs/device-contract.md §1). Lenient by design: the firmware builds its body by string
 * concatenation without escaping, so an SSID holding `"` or `\` makes it invalid JSON
 * (upstream-captures/python-non-json-body.request.http). Then the fields are pulled out of the raw text;
 * a field that cannot be found is `null` (unknown). Nothing here throws.
 */
import type { DeviceFacts } from './types.js';

type Headers = Readonly<Record<string, string | undefined>>;

/** A JSON value read leniently from the device's body. */
type Loose = null | boolean | number | string | Loose[] | { [key: string]: Loose };
type LooseObject = { [key: string]: Loose };

/** The parts of the body the proxy reads (docs/device-contract.md §1). */
interface BodyView {
  readonly board: LooseObject | null;
  readonly application: LooseObject | null;
  readonly chip: Loose | undefined;
  readonly ota: LooseObject | null;
  readonly partitions: readonly Loose[];
}

const EMPTY_VIEW: BodyView = { board: null, application: null, chip: undefined, ota: null, partitions: [] };

/** Reads the device from its OTA request; `headers` are keyed by lowercase name. Never throws. */
export function readDevice(headers: Headers, body: Buffer | string): DeviceFacts {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const view = readBody(text);
  const agent = parseUserAgent(headers['user-agent']);
  const boardType = nonEmptyString(view.board?.type);
  return {
    id: nonEmpty(headers['device-id'])?.toLowerCase() ?? null,
    clientId: nonEmpty(headers['client-id']),
    // The User-Agent carries the build name (`bread-compact-wifi-128x64`), board.type the shared board type.
    build: nonEmptyString(view.board?.name) ?? agent?.build ?? boardType,
    boardType,
    version: nonEmptyString(view.application?.version) ?? agent?.version ?? null,
    chip: nonEmptyString(view.chip),
    runningSlot: nonEmptyString(view.ota?.label),
    slotSizes: { ota0: slotSize(view.partitions, 'ota_0'), ota1: slotSize(view.partitions, 'ota_1') },
    // Firmware ≤ 1.5.9 sends no Activation-Version header (docs/device-contract.md §1, §7).
    legacy: headers['activation-version'] === undefined,
  };
}

/**
 * The size of the slot the device will write an image to: the `ota_0`/`ota_1` partition it does not run
 * from (`factory` writes `ota_0`), the smaller known one when the running slot is unknown (docs/configuration.md
 * "Catalog"); `null` when no size is known.
 */
export function writeSlotSize(device: DeviceFacts): number | null {
  const { ota0, ota1 } = device.slotSizes;
  switch (device.runningSlot) {
    case 'ota_0':
      return ota1;
    case 'ota_1':
    case 'factory':
      return ota0;
    default: {
      const known = [ota0, ota1].filter((n): n is number => n !== null);
      return known.length === 0 ? null : Math.min(...known);
    }
  }
}

function nonEmpty(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? null : trimmed;
}

function nonEmptyString(value: Loose | undefined): string | null {
  return typeof value === 'string' ? nonEmpty(value) : null;
}

/**
 * `<build-name>/<firmware-version>` (docs/device-contract.md §1). Before v1.4 the User-Agent is the HTTP
 * library's default (`ESP32 HTTP Client/1.0`): a name with blanks is not a build name, so it is ignored.
 */
/** The User-Agent's version: what follows the slash up to the first blank. */
const VERSION_TOKEN = /^\S*/;

function parseUserAgent(value: string | undefined): { build: string; version: string | null } | null {
  const text = nonEmpty(value);
  if (text === null) return null;
  const slash = text.indexOf('/');
  const build = slash < 0 ? text : text.slice(0, slash);
  if (build === '' || /\s/.test(build)) return null;
  // Anything after the version (`name/1.0 (comment)`) is not part of it.
  const version = slash < 0 ? '' : (VERSION_TOKEN.exec(text.slice(slash + 1))?.[0] ?? '');
  return { build, version: version === '' ? null : version };
}

function slotSize(partitions: readonly Loose[], label: string): number | null {
  for (const entry of partitions) {
    if (!isLooseObject(entry) || entry.label !== label) continue;
    const { size } = entry;
    return typeof size === 'number' && Number.isSafeInteger(size) && size > 0 ? size : null;
  }
  return null;
}

function isLooseObject(value: Loose | undefined): value is LooseObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBody(text: string): BodyView {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return scanBody(text);
  }
  // Valid JSON is read as the upstream reads it (last duplicate wins, like Python's json and Jackson).
  if (!isLooseObject(parsed as Loose)) return EMPTY_VIEW;
  const root = parsed as LooseObject;
  const table = root.partition_table;
  return {
    board: objectOrNull(root.board),
    application: objectOrNull(root.application),
    chip: root.chip_model_name,
    ota: objectOrNull(root.ota),
    partitions: Array.isArray(table) ? table : [],
  };
}

function objectOrNull(value: Loose | undefined): LooseObject | null {
  return isLooseObject(value) ? value : null;
}

/**
 * Invalid JSON: finds each part by its key and reads what parses before the first broken byte. The
 * firmware writes `board` last and the user-controlled SSID late inside it, after `type` and `name`
 * (docs/device-contract.md §1), so the fields the proxy needs come before anything that can break.
 */
function scanBody(text: string): BodyView {
  const chipAt = findKey(text, 'chip_model_name', '"');
  const tableAt = findKey(text, 'partition_table', '[');
  return {
    board: objectAt(text, findKey(text, 'board', '{')),
    application: objectAt(text, findKey(text, 'application', '{')),
    chip: chipAt < 0 ? undefined : scanValue({ text, pos: chipAt }),
    ota: objectAt(text, findKey(text, 'ota', '{')),
    partitions: tableAt < 0 ? [] : scanArrayPrefix({ text, pos: tableAt }),
  };
}

/** Index of the value opener after the first `"key":` whose value starts with `opener`; -1 when absent. */
function findKey(text: string, key: string, opener: '{' | '[' | '"'): number {
  const pattern = new RegExp(`"${key}"\\s*:\\s*\\${opener}`);
  const match = pattern.exec(text);
  return match === null ? -1 : match.index + match[0].length - 1;
}

function objectAt(text: string, at: number): LooseObject | null {
  return at < 0 ? null : scanObjectPrefix({ text, pos: at });
}

interface Scanner {
  readonly text: string;
  pos: number;
}

const WHITESPACE = /[ \t\r\n]*/y;

function skip(s: Scanner): void {
  WHITESPACE.lastIndex = s.pos;
  WHITESPACE.exec(s.text);
  s.pos = WHITESPACE.lastIndex;
}

/** The members of the object at `s.pos` that parse before the first thing that does not. */
function scanObjectPrefix(s: Scanner): LooseObject {
  const out: LooseObject = {};
  s.pos++; // `{`
  for (;;) {
    skip(s);
    if (s.text.charAt(s.pos) !== '"') return out;
    const key = scanString(s);
    if (key === undefined) return out;
    skip(s);
    if (s.text.charAt(s.pos) !== ':') return out;
    s.pos++;
    skip(s);
    const value = scanValue(s);
    if (value === undefined) return out;
    skip(s);
    const next = s.text.charAt(s.pos);
    // A value counts only when a delimiter confirms it ended: `"size":19"` may be a cut-off number.
    if (next !== ',' && next !== '}') return out;
    // defineProperty: a `__proto__` key stays a plain member and never reaches the prototype.
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
    if (next === '}') return out;
    s.pos++;
  }
}

/** The elements of the array at `s.pos` up to the first broken one (a partly read object still counts). */
function scanArrayPrefix(s: Scanner): Loose[] {
  const out: Loose[] = [];
  s.pos++; // `[`
  for (;;) {
    skip(s);
    if (s.text.charAt(s.pos) === '{') {
      const start = s.pos;
      const whole = scanValue(s);
      if (whole === undefined) {
        out.push(scanObjectPrefix({ text: s.text, pos: start }));
        return out;
      }
      out.push(whole);
    } else {
      const value = scanValue(s);
      if (value === undefined) return out;
      out.push(value);
    }
    skip(s);
    if (s.text.charAt(s.pos) !== ',') return out;
    s.pos++;
  }
}

/** One complete JSON value at `s.pos`, or `undefined` when it does not parse (position then unspecified). */
function scanValue(s: Scanner, depth = 0): Loose | undefined {
  if (depth > 32) return undefined;
  const c = s.text.charAt(s.pos);
  if (c === '"') return scanString(s);
  if (c === '{') {
    const out: LooseObject = {};
    s.pos++;
    skip(s);
    if (s.text.charAt(s.pos) === '}') {
      s.pos++;
      return out;
    }
    for (;;) {
      skip(s);
      if (s.text.charAt(s.pos) !== '"') return undefined;
      const key = scanString(s);
      skip(s);
      if (key === undefined || s.text.charAt(s.pos) !== ':') return undefined;
      s.pos++;
      skip(s);
      const value = scanValue(s, depth + 1);
      if (value === undefined) return undefined;
      Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      skip(s);
      const next = s.text.charAt(s.pos);
      s.pos++;
      if (next === '}') return out;
      if (next !== ',') return undefined;
    }
  }
  if (c === '[') {
    const out: Loose[] = [];
    s.pos++;
    skip(s);
    if (s.text.charAt(s.pos) === ']') {
      s.pos++;
      return out;
    }
    for (;;) {
      skip(s);
      const value = scanValue(s, depth + 1);
      if (value === undefined) return undefined;
      out.push(value);
      skip(s);
      const next = s.text.charAt(s.pos);
      s.pos++;
      if (next === ']') return out;
      if (next !== ',') return undefined;
    }
  }
  const literal = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  literal.lastIndex = s.pos;
  const match = literal.exec(s.text);
  if (match === null) return undefined;
  s.pos = literal.lastIndex;
  const word = match[0];
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (word === 'null') return null;
  return Number(word);
}

/** A JSON string at `s.pos` (escapes decoded), or `undefined` when it is unterminated or badly escaped. */
function scanString(s: Scanner): string | undefined {
  const { text } = s;
  let pos = s.pos + 1;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c === 0x22) {
      const raw = text.slice(s.pos, pos + 1);
      s.pos = pos + 1;
      try {
        // The literal is delimited already; JSON.parse only checks and decodes its escapes.
        return JSON.parse(raw) as string;
      } catch {
        return undefined;
      }
    }
    if (c < 0x20) return undefined;
    pos += c === 0x5c ? 2 : 1;
  }
  return undefined;
}
