/**
 * Realistic device OTA checks: the captured request of a bread-compact-wifi on firmware 1.6.0
 * (upstream-captures/python-default-post, a 1146-byte body) with a distinct Device-Id, Client-Id and
 * MAC per device, written into the same byte positions so that every request keeps its exact length.
 */
import { readCapture, type HttpMessage } from '../test/helpers/captures.js';

/** The capture every benchmark device request is made from. */
export const DEVICE_CAPTURE = 'python-default-post';
/** What the captured device says about itself (docs/device-contract.md §1), for the expectations. */
export const CAPTURED_DEVICE = { build: 'bread-compact-wifi', version: '1.6.0', chip: 'esp32s3' } as const;
/** The device fields of the capture, replaced per device. */
export const CAPTURED_MAC = 'aa:bb:cc:dd:ee:01';
export const CAPTURED_CLIENT_ID = 'e4f1c2a8-3b6d-4f7e-9a15-2c8d7b6e5f40';
const CLIENT_ID_PREFIX = 'e4f1c2a8-3b6d-4f7e-9a15-';

/** The MAC (Device-Id) of device `index`: a locally administered `02:…` address, 40 bits of index. */
export function deviceMac(index: number): string {
  const bytes = [2];
  for (let shift = 4; shift >= 0; shift--) bytes.push(Math.floor(index / 256 ** shift) % 256);
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The Client-Id of device `index`: a UUID whose last group is the index. */
export function deviceClientId(index: number): string {
  return `${CLIENT_ID_PREFIX}${index.toString(16).padStart(12, '0').slice(-12)}`;
}

export interface DeviceRequestOptions {
  /** The `Host` header, e.g. `127.0.0.1:8003`. */
  readonly host: string;
  /** Drop the device's `Connection: close` so a load generator can reuse the connection. */
  readonly keepAlive: boolean;
}

/** A request template split at the places that differ per device. */
export interface DeviceRequestTemplate {
  /** The bytes between the per-device fields; `fields[i]` goes between `parts[i]` and `parts[i + 1]`. */
  readonly parts: readonly Buffer[];
  readonly fields: readonly ('mac' | 'client-id')[];
  /** Total request bytes (the same for every device). */
  readonly length: number;
  readonly bodyLength: number;
  /** `POST` target, e.g. `/xiaozhi/ota/`. */
  readonly path: string;
}

/** Splits the captured request (Host replaced, `Connection` kept or dropped) at the device fields. */
export function deviceRequestTemplate(
  { host, keepAlive }: DeviceRequestOptions,
  capture: HttpMessage = readCapture(DEVICE_CAPTURE, 'request'),
): DeviceRequestTemplate {
  const [method = 'POST', path = '/xiaozhi/ota/', version = 'HTTP/1.1'] = capture.startLine.split(' ');
  const lines = [`${method} ${path} ${version}`];
  for (const [name, value] of capture.headers) {
    const lower = name.toLowerCase();
    if (lower === 'connection' && keepAlive) continue;
    lines.push(`${name}: ${lower === 'host' ? host : value}`);
  }
  const message = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), capture.body]);
  const marks: { at: number; field: 'mac' | 'client-id'; length: number }[] = [];
  for (const [needle, field] of [
    [CAPTURED_MAC, 'mac'],
    [CAPTURED_CLIENT_ID, 'client-id'],
  ] as const) {
    for (let at = message.indexOf(needle); at !== -1; at = message.indexOf(needle, at + needle.length))
      marks.push({ at, field, length: needle.length });
  }
  marks.sort((a, b) => a.at - b.at);
  if (!marks.some((m) => m.field === 'mac'))
    throw new Error(`the ${DEVICE_CAPTURE} capture no longer holds the device MAC ${CAPTURED_MAC}`);
  const parts: Buffer[] = [];
  let from = 0;
  for (const mark of marks) {
    parts.push(message.subarray(from, mark.at));
    from = mark.at + mark.length;
  }
  parts.push(message.subarray(from));
  return {
    parts,
    fields: marks.map((m) => m.field),
    length: message.length,
    bodyLength: capture.body.length,
    path,
  };
}

/** The request bytes of device `index`. */
export function deviceRequest(template: DeviceRequestTemplate, index: number): Buffer {
  const mac = deviceMac(index);
  const clientId = deviceClientId(index);
  const out = Buffer.allocUnsafe(template.length);
  let at = 0;
  template.parts.forEach((part, i) => {
    at += part.copy(out, at);
    const field = template.fields[i];
    if (field !== undefined) at += out.write(field === 'mac' ? mac : clientId, at, 'latin1');
  });
  return out;
}
