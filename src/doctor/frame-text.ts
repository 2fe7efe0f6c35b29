/**
 * A broken frame rule (http-wire/device-frame.ts) said in the report's language. The judge writes one
 * English sentence per rule; this says the same from the rule and the response, so the values (a header's
 * spelling, the sizes) come out in any catalog. test/unit/doctor-frame-text.test.ts keeps the English
 * identical to the judge's own text.
 */
import { headerValues, type RawResponse } from '../http-wire/response-reader.js';
import type { FrameViolation } from '../http-wire/device-frame.js';
import type { Translate } from '../i18n/translate.js';

/** The headers a proxy-written device reply may carry (docs/configuration.md "Framing and paths"). */
const DEVICE_REPLY_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
]);
/** v1.9/v2.x clients deadlock once 8192 bytes are buffered; aim under 4 KiB (docs/device-contract.md §2). */
const MAX_DEVICE_RESPONSE_BYTES = 8192;
const MAX_DEVICE_BODY_BYTES = 4096;

export function describeFrameViolation(
  violation: FrameViolation,
  response: RawResponse,
  t: Translate,
): string {
  const { rule } = violation;
  const lengths = response.headers.filter(([name]) => name.toLowerCase() === 'content-length');
  switch (rule) {
    case 'no-content-length':
      return t('doctor.frame.no-content-length');
    case 'content-length-casing':
      return t('doctor.frame.content-length-casing', {
        name: lengths.find(([name]) => name !== 'Content-Length')?.[0] ?? '',
      });
    case 'content-length-repeated':
      return t('doctor.frame.content-length-repeated', { n: lengths.length });
    case 'content-length-mismatch':
      return t('doctor.frame.content-length-mismatch', {
        value: String(lengths[0]?.[1]),
        length: response.body.length,
      });
    case 'chunked':
      return t('doctor.frame.chunked');
    case 'transfer-encoding':
      return t('doctor.frame.transfer-encoding');
    case 'content-encoding':
      return t('doctor.frame.content-encoding', {
        codings: headerValues(response.headers, 'content-encoding')
          .filter((v) => v.trim().toLowerCase() !== 'identity')
          .join(', '),
      });
    case 'body-over-4KiB':
      return t('doctor.frame.body-over-4KiB', { length: response.body.length, max: MAX_DEVICE_BODY_BYTES });
    case 'response-over-8KiB':
      return t('doctor.frame.response-over-8KiB', {
        bytes: response.wireBytes,
        max: MAX_DEVICE_RESPONSE_BYTES,
      });
    case 'extra-headers':
      return t('doctor.frame.extra-headers', {
        names: response.headers
          .map(([name]) => name)
          .filter((name) => !DEVICE_REPLY_HEADERS.has(name.toLowerCase()))
          .join(', '),
      });
    default: {
      // `status-<code>` is all that is left (a new rule fails to compile here), named after the status.
      const status: `status-${number}` = rule;
      return t('doctor.frame.status', { status: status.slice('status-'.length) });
    }
  }
}
