/**
 * Checks one OTA reply, as raw bytes, against what a device survives (docs/device-contract.md §2–§3) and the
 * proxy's own framing promise (docs/configuration.md "Framing and paths"). The frame is judged by src/http-wire (shared
 * with doctor, written from the contract); the body rules here use nothing of the proxy's own code: the
 * benchmark must not grade the proxy with it.
 */
import { judgeDeviceFrame } from '../src/http-wire/device-frame.js';
import type { RawResponse } from '../src/http-wire/response-reader.js';

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

/** Flash-storage limits: keys 1–15 bytes, strings under 4000 bytes (docs/device-contract.md §3). */
const MAX_KEY_BYTES = 15;
const MAX_STRING_BYTES = 4000;
const DOTTED_VERSION = /^\d{1,9}(?:\.\d{1,9})*$/;
const SECTIONS = ['websocket', 'mqtt', 'server_time', 'firmware', 'activation'] as const;

/** Grades one complete OTA check reply. */
export function checkOtaReply(response: RawResponse, expectations: ReplyExpectations): ContractVerdict {
  const violations: string[] = judgeDeviceFrame(response).map((v) => v.rule);
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

/** cJSON matches keys case-insensitively and takes the first match (docs/device-contract.md §3). */
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
    // Milliseconds: a seconds value would be before 2001 read as ms (docs/device-contract.md §3).
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
