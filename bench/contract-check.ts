/**
 * Checks one OTA reply, as raw bytes, against what a device survives (device-contract.md §2–§3) and the
 * proxy's own framing promise (CONFIG.md "Framing and paths"). Independent of src/: the benchmark must not
 * grade the proxy with the proxy's own code.
 */
import type { RawResponse } from './raw-response.js';

/** What the benchmark's configuration makes the proxy promise beyond the device contract. */
export interface ReplyExpectations {
  /** `mqtt: strip` with a websocket section: the reply must not carry `mqtt`. */
  readonly mqttStripped: boolean;
  /** The websocket URL must start with this (the configured template, rendered). */
  readonly websocketUrlPrefix?: string;
}

export interface ContractVerdict {
  /** Empty when the reply is one a device can use; otherwise stable violation names. */
  readonly violations: readonly string[];
  /** The reply body as a device reads it (first match of each case-folded key), when it is a JSON object. */
  readonly sections: Readonly<Record<string, unknown>> | null;
}

/** The only headers a proxy-written device reply carries (CONFIG.md "Framing and paths"). */
const ALLOWED_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection']);
/** v1.9/v2.x clients deadlock once 8192 buffered bytes are reached; aim under 4 KiB (device-contract.md §2). */
const MAX_WIRE_BYTES = 8192;
const MAX_BODY_BYTES = 4096;
/** Flash-storage limits: keys 1–15 bytes, strings under 4000 bytes (device-contract.md §3). */
const MAX_KEY_BYTES = 15;
const MAX_STRING_BYTES = 4000;
const DOTTED_VERSION = /^\d{1,9}(?:\.\d{1,9})*$/;
const SECTIONS = ['websocket', 'mqtt', 'server_time', 'firmware', 'activation'] as const;

/** Grades one complete OTA check reply. */
export function checkOtaReply(response: RawResponse, expectations: ReplyExpectations): ContractVerdict {
  const violations: string[] = [];
  checkFrame(response, violations);
  if (response.body.length >= MAX_BODY_BYTES) violations.push('body-over-4KiB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    violations.push('body-not-json');
    return { violations, sections: null };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    violations.push('body-not-object');
    return { violations, sections: null };
  }
  const sections = foldFirst(parsed as Record<string, unknown>, violations);
  checkSections(sections, expectations, violations);
  return { violations, sections };
}

function checkFrame(response: RawResponse, violations: string[]): void {
  if (response.status !== 200) violations.push(`status-${response.status}`);
  const lengths = response.headers.filter(([k]) => k.toLowerCase() === 'content-length');
  if (lengths.length === 0) violations.push('no-content-length');
  else {
    // The 4G client and esp-ml307 ≤ 3.2.4 look the header up case-sensitively (device-contract.md §2).
    if (lengths.some(([k]) => k !== 'Content-Length')) violations.push('content-length-casing');
    if (lengths.length > 1) violations.push('content-length-repeated');
    if (lengths[0]?.[1] !== String(response.body.length)) violations.push('content-length-mismatch');
  }
  if (response.framing === 'chunked') violations.push('chunked');
  if (response.headers.some(([k]) => k.toLowerCase() === 'transfer-encoding'))
    violations.push('transfer-encoding');
  if (response.headers.some(([k]) => k.toLowerCase() === 'content-encoding'))
    violations.push('content-encoding');
  const extra = response.headers.filter(([k]) => !ALLOWED_HEADERS.has(k.toLowerCase()));
  if (extra.length > 0) violations.push('extra-headers');
  if (response.wireBytes >= MAX_WIRE_BYTES) violations.push('response-over-8KiB');
}

/** cJSON matches keys case-insensitively and takes the first match (device-contract.md §3). */
function foldFirst(body: Record<string, unknown>, violations: string[]): Record<string, unknown> {
  const folded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const lower = key.toLowerCase();
    if (lower in folded) {
      violations.push(`duplicate-key-${lower}`);
      continue;
    }
    folded[lower] = value;
  }
  return folded;
}

function checkSections(
  sections: Record<string, unknown>,
  expectations: ReplyExpectations,
  violations: string[],
): void {
  for (const name of SECTIONS) {
    if (name in sections && !isObject(sections[name])) violations.push(`${name}-not-object`);
  }
  const websocket = sections.websocket;
  const mqtt = sections.mqtt;
  if (!isObject(websocket) && !isObject(mqtt)) violations.push('no-transport');
  if (isObject(websocket)) {
    checkStoredMembers('websocket', websocket, violations);
    const url = websocket.url;
    if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) violations.push('websocket-url');
    else if (
      expectations.websocketUrlPrefix !== undefined &&
      !url.startsWith(expectations.websocketUrlPrefix)
    )
      violations.push('websocket-url-not-rewritten');
    if ('version' in websocket && typeof websocket.version !== 'number')
      violations.push('websocket-version-not-number');
  }
  if (isObject(mqtt)) {
    if (expectations.mqttStripped) violations.push('mqtt-not-stripped');
    checkStoredMembers('mqtt', mqtt, violations);
    const endpoint = mqtt.endpoint;
    if (typeof endpoint !== 'string' || !/^[^:]+(?::\d{1,5})?$/.test(endpoint))
      violations.push('mqtt-endpoint');
    if ('keepalive' in mqtt && typeof mqtt.keepalive !== 'number')
      violations.push('mqtt-keepalive-not-number');
  }
  const time = sections.server_time;
  if (isObject(time)) {
    // Milliseconds: a seconds value would be before 2001 read as ms (device-contract.md §3).
    if (typeof time.timestamp !== 'number' || time.timestamp < 1e12) violations.push('server-time-timestamp');
    if (typeof time.timezone_offset !== 'number' || !Number.isInteger(time.timezone_offset))
      violations.push('server-time-offset');
  }
  const firmware = sections.firmware;
  if (isObject(firmware)) {
    if (typeof firmware.version !== 'string' || !DOTTED_VERSION.test(firmware.version))
      violations.push('firmware-version');
    if (typeof firmware.url !== 'string') violations.push('firmware-url');
    if ('force' in firmware && firmware.force !== 1) violations.push('firmware-force');
  }
  const activation = sections.activation;
  if (isObject(activation)) {
    for (const [key, value] of Object.entries(activation))
      if (typeof value !== 'string' && typeof value !== 'number') violations.push(`activation-${key}`);
  }
}

function checkStoredMembers(section: string, members: Record<string, unknown>, violations: string[]): void {
  for (const [key, value] of Object.entries(members)) {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes === 0 || keyBytes > MAX_KEY_BYTES) violations.push(`${section}-key-length`);
    if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') >= MAX_STRING_BYTES)
      violations.push(`${section}-string-length`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
