/**
 * THE DEVICE GUARD (docs/configuration.md "The device guard"): the last stage of every 200 JSON reply the proxy writes
 * on the OTA path — rewritten, passed through or synthesised by the fallback — so that no upstream reply
 * and no configuration can make a device abort and boot-loop (docs/device-contract.md §3, §6, §7). It repairs
 * or drops; it never adds a member to `websocket`/`mqtt`, never adds `activation`, and never alters
 * `websocket.token`, `activation.code` or `activation.challenge` (they may only be dropped whole, when the
 * device could not store them). Each repair is named in a short, stable string for the check's log line.
 */
import type { DeviceFacts } from '../device/types.js';
import { compareVersions, isDottedIntegers, parseVersionNumbers } from '../match/version.js';
import type { VersionNumbers } from '../match/types.js';
import {
  DEVICE_KEYS,
  foldBodyCounting,
  isJsonObject,
  ownMember,
  setMember,
  withMember,
  withoutMember,
} from './folded-json.js';
import { hasControlCharacter, hasControlOrWhitespace } from './control-characters.js';
import { isPlaceholderUrl } from './rules/firmware-offer.js';
import type { JsonObject } from './types.js';

/** NVS keys hold at most 15 bytes (16 with the NUL); a longer or empty key aborts the device (docs/device-contract.md §3). */
const MAX_KEY_BYTES = 15;
/** NVS strings hold at most 4000 bytes including the NUL, so 4000 bytes of text or more abort the device. */
const MAX_STRING_BYTES = 4000;
/** Below this a `timestamp` is in seconds: 1e11 ms is 1973, 1e11 s is the year 5138. */
const SECONDS_LIMIT = 1e11;
/** Plausible clocks in milliseconds: after 2001-09-09 (1e12) and up to 9999-12-31. */
const EARLIEST_MS = 1e12;
const LATEST_MS = 253402300799999;
const INT32_MAX = 2147483647;
/** A `ws://` or `wss://` URL with a host; the device's client compares the scheme case-sensitively. */
const WEBSOCKET_URL = /^wss?:\/\/[^/?#\s]/;

/** The known members per transport section; any other member is named `member` in a repair. */
const KNOWN_MEMBERS: Readonly<Record<'websocket' | 'mqtt' | 'activation', readonly string[]>> = {
  websocket: ['url', 'token', 'version'],
  mqtt: ['endpoint', 'client_id', 'username', 'password', 'keepalive', 'publish_topic', 'subscribe_topic'],
  activation: ['code', 'message', 'challenge', 'timeout_ms'],
};

/** Enforces docs/device-contract.md on a reply body (folded again first, so any caller's body is read as the device reads it). */
export function guardReply(body: JsonObject, device: DeviceFacts): { body: JsonObject; repairs: string[] } {
  const repairs: string[] = [];
  const folded = foldBodyCounting(body);
  // The device reads the first of case-insensitively equal keys; the rest are not written (docs/configuration.md).
  if (folded.dropped > 0) repairs.push('duplicate-keys-dropped');
  let out = dropNonObjectSections(folded.body, repairs);
  out = updateSection(out, 'activation', (s) => guardActivation(s, repairs));
  out = updateSection(out, 'websocket', (s) => guardWebsocket(s, repairs));
  out = updateSection(out, 'mqtt', (s) => guardMqtt(s, repairs));
  out = updateSection(out, 'server_time', (s) => guardServerTime(s, repairs));
  out = updateSection(out, 'firmware', (s) => guardFirmware(s, device, repairs));
  if (device.legacy && !Object.hasOwn(out, 'firmware')) {
    // ≤ v1.5.9 requires a firmware object; its own version offers nothing (docs/device-contract.md §3, §6).
    out = withMember(out, 'firmware', { version: runningVersionText(device), url: '' });
    repairs.push('firmware-legacy-added');
  }
  return { body: out, repairs };
}

/** A section that is not an object (`null` included) is dropped: omit rather than send `null` (docs/device-contract.md §3). */
function dropNonObjectSections(body: JsonObject, repairs: string[]): JsonObject {
  let out = body;
  for (const key of DEVICE_KEYS) {
    if (Object.hasOwn(out, key) && !isJsonObject(ownMember(out, key))) {
      out = withoutMember(out, key);
      repairs.push(`${key}-dropped:not-object`);
    }
  }
  return out;
}

/** Applies `guard` to the section when present; `null` from it drops the section. */
function updateSection(
  body: JsonObject,
  key: string,
  guard: (section: JsonObject) => JsonObject | null,
): JsonObject {
  const section = ownMember(body, key);
  if (!isJsonObject(section)) return body;
  const next = guard(section);
  if (next === null) return withoutMember(body, key);
  return next === section ? body : withMember(body, key, next);
}

/**
 * `activation`: members that are not strings are dropped — before v1.6.6 the firmware reads `valuestring`
 * of `code`/`message`/`challenge` unchecked and crashes on anything else. `timeout_ms` is the one numeric
 * member (read as `valueint` in every era): it is kept when it is a number and dropped otherwise.
 */
function guardActivation(section: JsonObject, repairs: string[]): JsonObject {
  const out: JsonObject = {};
  let changed = false;
  for (const [key, value] of Object.entries(section)) {
    const keep = key === 'timeout_ms' ? typeof value === 'number' : typeof value === 'string';
    if (keep) {
      setMember(out, key, value);
    } else {
      changed = true;
      repairs.push(
        `activation.${memberLabel('activation', key)}-dropped:${key === 'timeout_ms' ? 'not-number' : 'not-string'}`,
      );
    }
  }
  return changed ? out : section;
}

/**
 * Members of `websocket`/`mqtt` are each stored in flash under their own key: an empty key, a key over
 * 15 bytes or a string of 4000 bytes or more aborts the device (docs/device-contract.md §3). Such a member is
 * dropped whole — a token is never truncated. So is a `websocket.token` or an `mqtt` string holding a control
 * character: the device writes it into a header or its MQTT login (docs/configuration.md "Fleet and hardening
 * amendments"); dropped, the device keeps the value it has stored.
 */
function guardStoredMembers(section: JsonObject, name: 'websocket' | 'mqtt', repairs: string[]): JsonObject {
  const out: JsonObject = {};
  let changed = false;
  for (const [key, value] of Object.entries(section)) {
    // A NUL ends the key early on the device (a C string): treated as unusable, like an empty key.
    if (key === '' || key.includes('\u0000') || utf8Bytes(key) > MAX_KEY_BYTES) {
      changed = true;
      repairs.push(`${name}.member-dropped:key`);
    } else if (typeof value === 'string' && utf8Bytes(value) >= MAX_STRING_BYTES) {
      changed = true;
      repairs.push(`${name}.${memberLabel(name, key)}-dropped:too-long`);
    } else if (
      typeof value === 'string' &&
      (name === 'mqtt' || key === 'token') &&
      hasControlCharacter(value)
    ) {
      changed = true;
      repairs.push(`${name}.${memberLabel(name, key)}-dropped:control`);
    } else {
      setMember(out, key, value);
    }
  }
  return changed ? out : section;
}

function guardWebsocket(section: JsonObject, repairs: string[]): JsonObject {
  let out = guardStoredMembers(section, 'websocket', repairs);

  // `version` selects the binary protocol and must be a number: "3" silently falls back to protocol 1.
  const version = ownMember(out, 'version');
  const versionNumber = typeof version === 'string' ? numericString(version) : null;
  if (versionNumber !== null) {
    out = withMember(out, 'version', versionNumber);
    repairs.push('websocket.version-number');
  } else if (version !== undefined && typeof version !== 'number') {
    // Any other string would be stored and read back as no number at all (protocol 1); other types are
    // not a version either. Dropped, the device keeps the version it has stored (docs/device-contract.md §3).
    out = withoutMember(out, 'version');
    repairs.push('websocket.version-dropped:not-number');
  }

  const url = ownMember(out, 'url');
  if (url !== undefined && !(typeof url === 'string' && WEBSOCKET_URL.test(url))) {
    // The device stores `url` in flash and connects only to `ws://`/`wss://` (docs/device-contract.md §3); anything
    // else (an upstream or `rewrite` mistake) would overwrite a stored URL that works. Dropped, the old one stays.
    out = withoutMember(out, 'url');
    repairs.push('websocket.url-dropped:not-ws');
  } else if (typeof url === 'string' && hasControlOrWhitespace(url)) {
    // The device would write it into its request line as it is (CR/LF, NUL, a blank): unusable, like a
    // URL that is not ws:// (docs/configuration.md "Fleet and hardening amendments"). Dropped, the stored one stays.
    out = withoutMember(out, 'url');
    repairs.push('websocket.url-dropped:control-or-space');
  } else if (typeof url === 'string') {
    const checked = checkWebsocketUrl(url);
    switch (checked.kind) {
      case 'ok':
        break;
      case 'port-added':
        out = withMember(out, 'url', checked.url);
        repairs.push('websocket.url-port-added');
        break;
      case 'unusable':
        out = withoutMember(out, 'url');
        repairs.push('websocket.url-dropped:unparseable');
        break;
      default: {
        const never: never = checked;
        return never;
      }
    }
  }
  return out;
}

type UrlCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'port-added'; readonly url: string }
  | { readonly kind: 'unusable' };

/**
 * The device's WebSocket client (esp-ml307 `WebSocket::Connect`) takes everything between the first `:`
 * after `://` and the next `/` as the port and reads it with `std::stoi`, which throws — and aborts the
 * device — when it does not start with a number (docs/device-contract.md §3: "a URL whose path holds `:` needs
 * an explicit port"). A `:` only in the path or query is made harmless by writing the default port the
 * device would use anyway; a `:` inside the authority that is not a port (IPv6 literal, userinfo, `host:`)
 * cannot be repaired, so the member goes.
 */
function checkWebsocketUrl(url: string): UrlCheck {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return { kind: 'ok' }; // the device logs "Invalid URI format" and gives up cleanly
  const start = schemeEnd + 3;
  const colon = url.indexOf(':', start);
  if (colon < 0) return { kind: 'ok' };
  const slash = url.indexOf('/', colon + 1);
  const portText = slash < 0 ? url.slice(colon + 1) : url.slice(colon + 1, slash);
  if (stoiSucceeds(portText)) return { kind: 'ok' };
  const authorityEnd = firstIndexOf(url, ['/', '?', '#'], start);
  if (colon < authorityEnd) return { kind: 'unusable' };
  // Same default as the device: 443 for `wss`, 80 for anything else.
  const port = url.slice(0, schemeEnd) === 'wss' ? 443 : 80;
  return { kind: 'port-added', url: `${url.slice(0, authorityEnd)}:${port}${url.slice(authorityEnd)}` };
}

/** Whether C++ `std::stoi` reads a number from `text` without throwing (leading blanks, a sign, digits, no int overflow). */
function stoiSucceeds(text: string): boolean {
  const match = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(text);
  if (match === null) return false;
  const digits = (match[2] ?? '').replace(/^0+(?=\d)/, '');
  if (digits.length > 10) return false;
  return Number(digits) <= (match[1] === '-' ? INT32_MAX + 1 : INT32_MAX);
}

function firstIndexOf(text: string, chars: readonly string[], from: number): number {
  let best = text.length;
  for (const c of chars) {
    const at = text.indexOf(c, from);
    if (at >= 0 && at < best) best = at;
  }
  return best;
}

/**
 * `mqtt`: dropped unless `endpoint` is `host` or `host:port` with a 1–5 digit port and no other `:` (the
 * device reads the port with `std::stoi`: anything else aborts it); a numeric-string `keepalive` becomes a number.
 */
function guardMqtt(section: JsonObject, repairs: string[]): JsonObject | null {
  let out = guardStoredMembers(section, 'mqtt', repairs);
  const endpoint = ownMember(out, 'endpoint');
  if (typeof endpoint !== 'string' || !/^[^:]+(?::\d{1,5})?$/.test(endpoint)) {
    repairs.push('mqtt-dropped:endpoint');
    return null;
  }
  const keepalive = ownMember(out, 'keepalive');
  if (keepalive !== undefined && typeof keepalive !== 'number' && typeof keepalive !== 'string') {
    // Not a keepalive at all (null, an object …): the device's default is the safe reading.
    out = withoutMember(out, 'keepalive');
    repairs.push('mqtt.keepalive-dropped');
  } else if (typeof keepalive === 'string') {
    const n = numericString(keepalive);
    if (n !== null) {
      out = withMember(out, 'keepalive', n);
      repairs.push('mqtt.keepalive-number');
    } else {
      // Stored as a string it shadows the numeric setting the client reads; the device's default is better.
      out = withoutMember(out, 'keepalive');
      repairs.push('mqtt.keepalive-dropped');
    }
  }
  return out;
}

/**
 * `server_time`: `timestamp` in milliseconds (seconds would put the clock in 1970) and `timezone_offset` in
 * whole minutes (docs/device-contract.md §3). Numeric strings become numbers; anything else that is not a number
 * is dropped, since firmware before v1.6.6 reads such a member as 0.
 */
function guardServerTime(section: JsonObject, repairs: string[]): JsonObject {
  let out = section;
  if (Object.hasOwn(out, 'timestamp')) {
    const raw = ownMember(out, 'timestamp');
    const ts = typeof raw === 'number' ? raw : typeof raw === 'string' ? numericString(raw) : null;
    const seconds = ts !== null && ts > 0 && ts < SECONDS_LIMIT;
    const ms = ts !== null && seconds ? Math.round(ts * 1000) : ts;
    if (ms === null) {
      out = withoutMember(out, 'timestamp');
      repairs.push('server_time.timestamp-dropped');
    } else if (!(ms > EARLIEST_MS && ms <= LATEST_MS)) {
      // A clock before 2001 or after 9999 is no time at all (TLS checks would fail on it): the device
      // keeps the clock it has rather than being set to it.
      out = withoutMember(out, 'timestamp');
      repairs.push('server_time.timestamp-dropped:implausible');
    } else {
      if (typeof raw === 'string') repairs.push('server_time.timestamp-number');
      if (seconds) repairs.push('server_time.timestamp-ms');
      if (ms !== raw) out = withMember(out, 'timestamp', ms);
    }
  }
  if (Object.hasOwn(out, 'timezone_offset')) {
    const raw = ownMember(out, 'timezone_offset');
    const offset = typeof raw === 'number' ? raw : typeof raw === 'string' ? numericString(raw) : null;
    if (offset === null) {
      out = withoutMember(out, 'timezone_offset');
      repairs.push('server_time.timezone_offset-dropped');
    } else if (typeof raw === 'string' || !Number.isInteger(offset)) {
      // The device reads `valueint`: 330.0 is fine, 5.5 would be truncated; round to whole minutes.
      out = withMember(out, 'timezone_offset', Math.round(offset) + 0);
      repairs.push('server_time.timezone_offset-minutes');
    }
  }
  return out;
}

/**
 * `firmware` (docs/device-contract.md §3, §6): the device compares `version` with its own whenever `version` and
 * `url` are strings and downloads when it is newer (or `force` is the number 1). A version that is not
 * dotted integers throws in `std::stoi`; a failed download reboots v1.6.6–1.7.6; `force` with the running
 * version re-flashes on every boot.
 */
function guardFirmware(section: JsonObject, device: DeviceFacts, repairs: string[]): JsonObject | null {
  const version = ownMember(section, 'version');
  const url = ownMember(section, 'url');
  if (typeof version !== 'string' || !isDottedIntegers(version)) {
    repairs.push('firmware-dropped:version');
    return null;
  }
  if (typeof url !== 'string') {
    repairs.push('firmware-dropped:url');
    return null;
  }
  let out = section;
  let offered = version;
  const running = runningVersionNumbers(device);
  // Case-sensitive on purpose: anything but a plain http(s) URL counts as not downloadable, the safe side.
  const downloadable = (url.startsWith('http://') || url.startsWith('https://')) && !isPlaceholderUrl(url);
  if (!downloadable) {
    // Unknown running version: any version might be newer, so the one the device cannot download is
    // lowered to "0.0.0", which is never newer; the object stays for ≤ v1.5.9, which requires it.
    const newer = running === null || compareVersions(parseVersionNumbers(offered) ?? [], running) > 0;
    const target = runningVersionText(device);
    if (newer && offered !== target) {
      offered = target;
      out = withMember(out, 'version', offered);
      repairs.push('firmware.version-lowered');
    }
  }
  if (Object.hasOwn(out, 'force')) {
    // Kept only as the number 1, for a version that differs from the running one, with a URL the device
    // can fetch: a forced download that fails reboots v1.6.6–1.7.6 into the same reply.
    const differs = running !== null && compareVersions(parseVersionNumbers(offered) ?? [], running) !== 0;
    if (ownMember(out, 'force') !== 1 || !differs || !downloadable) {
      out = withoutMember(out, 'force');
      repairs.push('firmware.force-dropped');
    }
  }
  return out;
}

/** The running version as the device compares it, or `null` when unknown or unreadable. */
function runningVersionNumbers(device: DeviceFacts): VersionNumbers | null {
  return device.version === null ? null : parseVersionNumbers(device.version);
}

/** The running version as dotted integers safe to send back (`2.0.0-beta` → `2.0.0`), else `"0.0.0"`. */
function runningVersionText(device: DeviceFacts): string {
  if (device.version !== null && isDottedIntegers(device.version)) return device.version;
  const numbers = runningVersionNumbers(device);
  return numbers === null ? '0.0.0' : numbers.join('.');
}

/** A string holding only a decimal number (blanks around allowed), as that number; `null` otherwise. */
function numericString(text: string): number | null {
  const trimmed = text.trim();
  if (!/^-?\d+(?:\.\d+)?$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

function memberLabel(section: keyof typeof KNOWN_MEMBERS, key: string): string {
  return KNOWN_MEMBERS[section].includes(key) ? key : 'member';
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
