/**
 * An INDEPENDENT oracle for docs/device-contract.md §2–§3: what a real xiaozhi device can read back without
 * aborting, checked on the raw reply bytes. Written from the contract, not from src/rewrite/guard.ts — it is
 * the check on the guard, so it shares no code with src/. Keys are looked up the way cJSON does: ASCII
 * case-insensitively, up to the first NUL, first match wins.
 */
import type { RawResponse } from './raw-client.js';

/** What the oracle needs to know about the device that asked. */
export interface OracleDevice {
  /** The version the device really runs (`application.version`, else the User-Agent's); `null` = not known. */
  readonly version: string | null;
  /** No `Activation-Version` header: firmware ≤ 1.5.9, which requires a `firmware` object (§3, §7). */
  readonly legacy: boolean;
}

export interface OracleOptions {
  /** A fallback reply (docs/configuration.md "Fallback reply"): never `activation`, and a transport must be named. */
  readonly fallback?: boolean;
}

/** The Java upstream's "nothing to download" URL (docs/upstream.md, `Constant.INVALID_FIRMWARE_URL`). */
const PLACEHOLDER_MARK = 'NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL';
const INT32_MAX = 2147483647;
/** §2: the body must stay under 4 KiB (v1.9/v2.x deadlock once 8 KiB of body are buffered). */
const MAX_BODY_BYTES = 4096;
/** §2: the whole response well under 8 KiB. */
const MAX_RESPONSE_BYTES = 8192;
/** docs/configuration.md "Framing and paths": the only headers a device-facing reply carries. */
/** The top-level keys a device reads (§3). */
const DEVICE_KEYS = ['server_time', 'websocket', 'mqtt', 'firmware', 'activation'];
const ALLOWED_HEADERS = new Set(['Content-Type', 'Content-Length', 'Date', 'Connection']);

/**
 * Every way a raw reply breaks the device contract (§2 framing, §3 body); `[]` when a device survives it.
 * Anything but status 200 is itself a violation — use `errorFramingViolations` for the clean-4xx/5xx case.
 */
export function contractViolations(
  response: RawResponse,
  device: OracleDevice,
  options: OracleOptions = {},
): string[] {
  const out: string[] = [];
  if (response.status !== 200) out.push(`status ${response.status}, not 200`);
  out.push(...framingViolations(response));
  if (response.raw.length >= MAX_RESPONSE_BYTES)
    out.push(`whole response ${response.raw.length} bytes (≥ 8 KiB)`);
  out.push(...bodyViolations(response.body, device, options));
  return out;
}

/** §2 framing alone: exactly one `Content-Length` in that casing equal to the body, no chunking, no compression. */
export function framingViolations(response: RawResponse): string[] {
  const out: string[] = [];
  const lengths = response.headers.filter(([name]) => name.toLowerCase() === 'content-length');
  if (lengths.length !== 1) out.push(`${lengths.length} Content-Length headers`);
  for (const [name, value] of lengths) {
    if (name !== 'Content-Length') out.push(`Content-Length spelled ${JSON.stringify(name)}`);
    if (!/^\d+$/.test(value) || Number(value) !== response.body.length)
      out.push(`Content-Length ${JSON.stringify(value)} but ${response.body.length} body bytes`);
  }
  for (const [name] of response.headers) {
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding') out.push('Transfer-Encoding present');
    else if (lower === 'content-encoding') out.push('Content-Encoding present');
    else if (!ALLOWED_HEADERS.has(name)) out.push(`header ${JSON.stringify(name)} not allowed`);
  }
  return out;
}

/** A clean error the device retries: status 4xx/5xx with exact framing. */
export function errorFramingViolations(response: RawResponse): string[] {
  const out =
    response.status >= 400 && response.status <= 599
      ? []
      : [`status ${response.status} is neither 200 nor 4xx/5xx`];
  return [...out, ...framingViolations(response)];
}

/** §3 on the body bytes alone (the pure pipeline's output can be checked without a socket). */
export function bodyViolations(
  body: Buffer | string,
  device: OracleDevice,
  { fallback = false }: OracleOptions = {},
): string[] {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const out: string[] = [];
  if (bytes.length >= MAX_BODY_BYTES) out.push(`body ${bytes.length} bytes (≥ 4 KiB)`);
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) out.push('body is not UTF-8');
  let root: Node;
  try {
    JSON.parse(text);
    root = readTree(text);
  } catch {
    out.push('body is not JSON');
    return out;
  }
  if (root.t !== 'obj') {
    out.push('body is not one JSON object');
    return out;
  }
  checkDeviceDuplicates(root, out);

  for (const name of DEVICE_KEYS) {
    const section = member(root, name);
    if (section !== undefined && section.t !== 'obj')
      out.push(`${name} is ${section.t === 'null' ? 'null' : section.t}, not an object`);
  }
  const websocket = objectMember(root, 'websocket');
  const mqtt = objectMember(root, 'mqtt');
  if (websocket) checkWebsocket(websocket, out);
  if (mqtt) checkMqtt(mqtt, out);
  const time = objectMember(root, 'server_time');
  if (time) checkServerTime(time, out);
  const firmware = objectMember(root, 'firmware');
  if (firmware) checkFirmware(firmware, device, out);
  // A reply without any section is an error shape the device treats as a failed check and retries (§6).
  const otaReply = DEVICE_KEYS.some((name) => member(root, name) !== undefined);
  if (!firmware && device.legacy && otaReply)
    out.push('no firmware object for a device without Activation-Version (≤ 1.5.9 requires one)');
  const activation = objectMember(root, 'activation');
  if (activation) checkActivation(activation, out);

  if (fallback) {
    if (member(root, 'activation') !== undefined) out.push('a fallback reply carries activation');
    const wsUrl = websocket ? member(websocket, 'url') : undefined;
    const wsPresent = wsUrl?.t === 'str' && /^wss?:\/\//.test(wsUrl.v);
    if (!wsPresent && !mqtt) out.push('a fallback reply names no transport');
  }
  return out;
}

function checkWebsocket(ws: ObjNode, out: string[]): void {
  checkStoredMembers(ws, 'websocket', out);
  const url = member(ws, 'url');
  if (url !== undefined && !(url.t === 'str' && /^wss?:\/\/[^/?#\s]/.test(url.v)))
    out.push('websocket.url is not a ws:// or wss:// URL');
  if (url?.t === 'str' && /^wss?:\/\//.test(url.v)) {
    // The client reads everything from the first `:` after `://` up to the next `/` with std::stoi (§3).
    const rest = url.v.slice(url.v.indexOf('://') + 3);
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      const slash = rest.indexOf('/', colon);
      const port = slash < 0 ? rest.slice(colon + 1) : rest.slice(colon + 1, slash);
      const digits = /^\d+/.exec(port)?.[0];
      if (digits === undefined || Number(digits) > INT32_MAX)
        out.push(`websocket.url port ${JSON.stringify(port)} throws in std::stoi`);
    }
  }
  // The device writes the url into its request line and the token into `Authorization: Bearer …`: a CR/LF
  // there splits the request, a NUL cuts the C string (docs/configuration.md "Fleet and hardening amendments").
  if (url?.t === 'str' && (holdsControl(url.v) || /\s/.test(url.v)))
    out.push('websocket.url holds a control character or whitespace');
  const token = member(ws, 'token');
  if (token?.t === 'str' && holdsControl(token.v)) out.push('websocket.token holds a control character');
  const version = member(ws, 'version');
  if (version !== undefined && version.t !== 'num')
    out.push(`websocket.version is ${version.t}, not a number`);
}

function checkMqtt(mqtt: ObjNode, out: string[]): void {
  if (mqtt.entries.length === 0) out.push('mqtt is {} (the device would use MQTT with nothing)');
  checkStoredMembers(mqtt, 'mqtt', out);
  const endpoint = member(mqtt, 'endpoint');
  if (endpoint?.t !== 'str' || !/^[^:]+(?::\d{1,5})?$/.test(endpoint.v))
    out.push('mqtt.endpoint is not host or host:port');
  const keepalive = member(mqtt, 'keepalive');
  if (keepalive !== undefined && keepalive.t !== 'num')
    out.push(`mqtt.keepalive is ${keepalive.t}, not a number`);
  // Every mqtt string ends up in the device's MQTT CONNECT or topic names.
  for (const [key, value] of mqtt.entries)
    if (value.t === 'str' && holdsControl(value.v)) out.push(`mqtt.${key} holds a control character`);
}

/** Each member is stored in flash under its own key: 1–15 bytes of key, strings under 4000 bytes (§3). */
function checkStoredMembers(section: ObjNode, name: string, out: string[]): void {
  for (const [key, value] of section.entries) {
    const keyBytes = Buffer.byteLength(cString(key), 'utf8');
    if (keyBytes < 1 || keyBytes > 15)
      out.push(`${name} member key ${JSON.stringify(key)} is ${keyBytes} bytes`);
    if (value.t === 'str' && Buffer.byteLength(value.v, 'utf8') >= 4000)
      out.push(`${name}.${key} is a string of 4000 bytes or more`);
  }
}

function checkServerTime(time: ObjNode, out: string[]): void {
  const timestamp = member(time, 'timestamp');
  if (timestamp !== undefined && !(timestamp.t === 'num' && timestamp.v > 1e12))
    out.push('server_time.timestamp is not a number of milliseconds');
  const offset = member(time, 'timezone_offset');
  if (offset !== undefined && !(offset.t === 'num' && Number.isInteger(offset.v)))
    out.push('server_time.timezone_offset is not an integer');
}

function checkFirmware(firmware: ObjNode, device: OracleDevice, out: string[]): void {
  const version = member(firmware, 'version');
  const url = member(firmware, 'url');
  if (version?.t !== 'str' || !dottedIntegers(version.v)) {
    out.push('firmware.version is not dotted integers');
    return;
  }
  if (url?.t !== 'str') {
    out.push('firmware.url is not a string');
    return;
  }
  const offered = version.v.split('.').map(Number);
  const running = device.version === null ? null : runningNumbers(device.version);
  // Unknown running version: only an all-zero version is surely not newer than what the device runs.
  const newer = running === null ? offered.some((n) => n !== 0) : compare(offered, running) > 0;
  const downloadable = /^https?:\/\/[^/?#\s]/.test(url.v) && !url.v.includes(PLACEHOLDER_MARK);
  if (newer && !downloadable)
    out.push(
      `firmware ${version.v} is newer than ${device.version ?? 'the unknown running version'} but its url cannot be downloaded`,
    );
  const force = member(firmware, 'force');
  if (force !== undefined) {
    if (!(force.t === 'num' && force.v === 1)) out.push('firmware.force is not the number 1');
    if (running === null || compare(offered, running) === 0)
      out.push('firmware.force with the running (or an unknown) version');
    if (!downloadable) out.push('firmware.force with a url that cannot be downloaded');
  }
}

function checkActivation(activation: ObjNode, out: string[]): void {
  for (const name of ['code', 'message', 'challenge']) {
    const value = member(activation, name);
    if (value !== undefined && value.t !== 'str') out.push(`activation.${name} is ${value.t}, not a string`);
  }
  const timeout = member(activation, 'timeout_ms');
  if (timeout !== undefined && timeout.t !== 'num')
    out.push(`activation.timeout_ms is ${timeout.t}, not a number`);
}

/**
 * What the device reads holds no case-insensitively equal keys: a second `"MQTT"` after `"mqtt"` at the top,
 * or a second member inside a section, which the device would store under its own flash key (§3).
 */
function checkDeviceDuplicates(root: ObjNode, out: string[]): void {
  const seen = new Set<string>();
  for (const [key, value] of root.entries) {
    const folded = foldAscii(cString(key));
    if (!DEVICE_KEYS.includes(folded)) continue;
    if (seen.has(folded)) out.push(`duplicate section ${JSON.stringify(key)}`);
    seen.add(folded);
    checkDuplicates(value, key, out);
  }
}

function checkDuplicates(node: Node, path: string, out: string[]): void {
  if (node.t === 'arr') node.items.forEach((item, i) => checkDuplicates(item, `${path}[${i}]`, out));
  if (node.t !== 'obj') return;
  const seen = new Set<string>();
  for (const [key, value] of node.entries) {
    const folded = foldAscii(cString(key));
    if (seen.has(folded)) out.push(`duplicate key ${JSON.stringify(key)} at ${path || 'top level'}`);
    seen.add(folded);
    checkDuplicates(value, path ? `${path}.${key}` : key, out);
  }
}

/** U+0000–U+001F or U+007F anywhere in the text. */
function holdsControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function dottedIntegers(text: string): boolean {
  return /^\d+(\.\d+)*$/.test(text) && text.split('.').every((s) => Number(s) <= INT32_MAX);
}

/** The running version as the device reads it: leading digits of each segment (std::stoi). */
function runningNumbers(text: string): number[] | null {
  const numbers: number[] = [];
  for (const segment of text.split('.')) {
    const digits = /^\d+/.exec(segment);
    if (digits === null || Number(digits[0]) > INT32_MAX) return null;
    numbers.push(Number(digits[0]));
  }
  return numbers;
}

/** Segment by segment; on a tie the longer one is newer (§3). */
function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.length - b.length);
}

// ——— A tiny JSON reader that keeps every key in order (JSON.parse keeps only the last duplicate). ———

type Node =
  | { readonly t: 'obj'; readonly entries: [string, Node][] }
  | { readonly t: 'arr'; readonly items: Node[] }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'null' };
type ObjNode = Extract<Node, { t: 'obj' }>;

/** cJSON_GetObjectItem: the first member whose key equals `name` ASCII-case-insensitively, as a C string. */
function member(obj: ObjNode, name: string): Node | undefined {
  return obj.entries.find(([key]) => foldAscii(cString(key)) === name)?.[1];
}

function objectMember(obj: ObjNode, name: string): ObjNode | undefined {
  const found = member(obj, name);
  return found?.t === 'obj' ? found : undefined;
}

function cString(text: string): string {
  const nul = text.indexOf('\u0000');
  return nul < 0 ? text : text.slice(0, nul);
}

function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const LITERALS: readonly [string, Node][] = [
  ['true', { t: 'bool', v: true }],
  ['false', { t: 'bool', v: false }],
  ['null', { t: 'null' }],
];

/** Reads text that JSON.parse has already accepted, so only the structure is tracked here. */
function readTree(text: string): Node {
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const str = (): string => {
    const start = pos;
    pos++;
    while (text.charAt(pos) !== '"') pos += text.charAt(pos) === '\\' ? 2 : 1;
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (): Node => {
    ws();
    const c = text.charAt(pos);
    if (c === '{') {
      pos++;
      const entries: [string, Node][] = [];
      ws();
      if (text.charAt(pos) === '}') {
        pos++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        const key = str();
        ws();
        pos++; // ':'
        entries.push([key, value()]);
        ws();
        if (text.charAt(pos++) === '}') return { t: 'obj', entries };
      }
    }
    if (c === '[') {
      pos++;
      const items: Node[] = [];
      ws();
      if (text.charAt(pos) === ']') {
        pos++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text.charAt(pos++) === ']') return { t: 'arr', items };
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    for (const [word, node] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return node;
      }
    }
    const match = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = pos;
    const number = match.exec(text)?.[0] ?? '';
    pos += number.length;
    return { t: 'num', v: Number(number) };
  };
  return value();
}
