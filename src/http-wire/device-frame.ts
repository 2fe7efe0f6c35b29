/**
 * Judges a device-facing reply's frame on its bytes: the rules of docs/device-contract.md §2 (what the
 * firmware survives) and the proxy's promise to send only a few headers (docs/configuration.md "Framing
 * and paths"). Written from those documents, not from the proxy's code, so it can grade the proxy.
 */
import { headerValues, type RawResponse } from './response-reader.js';

/** Stable names of the broken rules; `status-502` names the status a device got. */
export type FrameRule =
  | `status-${number}`
  | 'no-content-length'
  | 'content-length-casing'
  | 'content-length-repeated'
  | 'content-length-mismatch'
  | 'chunked'
  | 'transfer-encoding'
  | 'content-encoding'
  | 'body-over-4KiB'
  | 'response-over-8KiB'
  | 'extra-headers';

export interface FrameViolation {
  readonly rule: FrameRule;
  /** `device-contract`: firmware fails on it; `proxy-promise`: devices cope, but the proxy promised otherwise. */
  readonly source: 'device-contract' | 'proxy-promise';
  /** What is wrong and why it matters, for a report. */
  readonly text: string;
}

/** The only headers a proxy-written device reply carries (docs/configuration.md "Framing and paths"). */
const DEVICE_REPLY_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
]);
/** v1.9/v2.x clients deadlock once 8192 bytes are buffered (docs/device-contract.md §2). */
const MAX_DEVICE_RESPONSE_BYTES = 8192;
/** "Aim under 4 KiB" for the body (docs/device-contract.md §2). */
const MAX_DEVICE_BODY_BYTES = 4096;

/** Every frame rule `response` breaks, in the order of docs/device-contract.md §2; empty when a device can read it. */
export function judgeDeviceFrame(response: RawResponse): FrameViolation[] {
  const out: FrameViolation[] = [];
  const device = (rule: FrameRule, text: string): void => {
    out.push({ rule, source: 'device-contract', text });
  };
  if (response.status !== 200)
    device(
      `status-${response.status}`,
      `status ${response.status}: devices retry, then keep stored settings`,
    );
  const lengths = response.headers.filter(([name]) => name.toLowerCase() === 'content-length');
  if (lengths.length === 0)
    device('no-content-length', 'no Content-Length (firmware ≤ 1.7.6 and the 4G modem client need it)');
  else {
    const misspelt = lengths.find(([name]) => name !== 'Content-Length');
    if (misspelt !== undefined)
      device(
        'content-length-casing',
        `"${misspelt[0]}" is not spelled Content-Length (the 4G modem client matches it case-sensitively)`,
      );
    if (lengths.length > 1) device('content-length-repeated', `${lengths.length} Content-Length headers`);
    const [, value] = lengths[0] ?? [];
    if (value !== String(response.body.length))
      device(
        'content-length-mismatch',
        `Content-Length ${value} but the body is ${response.body.length} bytes`,
      );
  }
  if (response.framing === 'chunked')
    device('chunked', 'chunked body (the device chunk parser truncates when a CRLF straddles two reads)');
  if (headerValues(response.headers, 'transfer-encoding').length > 0)
    device('transfer-encoding', 'Transfer-Encoding present (devices mis-read chunked bodies)');
  // `identity` is no coding at all; the header itself is still outside the proxy's promise (below).
  const codings = headerValues(response.headers, 'content-encoding').filter(
    (v) => v.trim().toLowerCase() !== 'identity',
  );
  if (codings.length > 0)
    device('content-encoding', `Content-Encoding ${codings.join(', ')} (devices cannot decompress)`);
  if (response.body.length >= MAX_DEVICE_BODY_BYTES)
    device('body-over-4KiB', `body ${response.body.length} bytes (must stay under ${MAX_DEVICE_BODY_BYTES})`);
  if (response.wireBytes >= MAX_DEVICE_RESPONSE_BYTES)
    device(
      'response-over-8KiB',
      `response ${response.wireBytes} bytes (v1.9/v2.x clients deadlock at ${MAX_DEVICE_RESPONSE_BYTES})`,
    );
  const extra = response.headers
    .map(([name]) => name)
    .filter((name) => !DEVICE_REPLY_HEADERS.has(name.toLowerCase()));
  if (extra.length > 0)
    out.push({
      rule: 'extra-headers',
      source: 'proxy-promise',
      // The 4G modem splits long header blocks and can lose Content-Length (docs/device-contract.md §2).
      text: `extra headers in the reply: ${extra.join(', ')}`,
    });
  return out;
}
