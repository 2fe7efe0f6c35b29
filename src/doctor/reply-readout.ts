/** An OTA reply as doctor reads it: status, text, and the body folded the way the device's parser reads it. */
import zlib from 'node:zlib';
import type { Config, Origin } from '../config/types.js';
import type { Translate } from '../i18n/translate.js';
import { classifyUpstreamBody, ownMember, isJsonObject } from '../rewrite/folded-json.js';
import type { JsonObject, JsonValue } from '../rewrite/types.js';
import { headerValues, type RawResponse } from '../http-wire/response-reader.js';

export interface ReplyReadout {
  readonly status: number;
  /** The decoded body as text. */
  readonly text: string;
  /** How the reply table reads the body (rewrite/folded-json.ts). */
  readonly shape: 'sections' | 'other-object' | 'not-object' | 'invalid';
  /** The folded object (`sections` and `other-object`), else `null`. */
  readonly body: JsonObject | null;
  /** Why the body is not JSON, for `invalid`. */
  readonly invalidReason: string | null;
}

/** Reads a response's body (decompressing it if the server compressed anyway). */
export function readReply(response: RawResponse): ReplyReadout {
  const encoding = (headerValues(response.headers, 'content-encoding')[0] ?? 'identity').trim().toLowerCase();
  const text = decode(response.body, encoding).toString('utf8');
  const parsed = classifyUpstreamBody(text);
  switch (parsed.kind) {
    case 'sections':
    case 'other-object':
      return { status: response.status, text, shape: parsed.kind, body: parsed.body, invalidReason: null };
    case 'not-object':
      return { status: response.status, text, shape: 'not-object', body: null, invalidReason: null };
    case 'invalid':
      return { status: response.status, text, shape: 'invalid', body: null, invalidReason: parsed.reason };
    default: {
      const never: never = parsed;
      throw new Error(`unhandled body ${String(never)}`);
    }
  }
}

function decode(body: Buffer, encoding: string): Buffer {
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(body);
      case 'deflate':
        return zlib.inflateSync(body);
      case 'br':
        return zlib.brotliDecompressSync(body);
      default:
        return body;
    }
  } catch {
    return body;
  }
}

/** A member of a section of a folded reply (`section(body, 'websocket')?.url`), or `undefined`. */
export function section(body: JsonObject | null, key: string): JsonObject | null {
  if (body === null) return null;
  const value = ownMember(body, key);
  return isJsonObject(value) ? value : null;
}

export function member(obj: JsonObject | null, key: string): JsonValue | undefined {
  return obj === null ? undefined : ownMember(obj, key);
}

/** What doctor knows about the deployment while judging: the config, the device, how devices reach the proxy, and the language it reports in. */
export interface DoctorContext {
  readonly config: Config;
  /** The host devices use to reach the proxy (no port, no brackets). */
  readonly deviceHost: string;
  /** The origin templates render from for devices (docs/configuration.md "Templates"). */
  readonly deviceOrigin: Origin;
  /** The device's running version (doctor's `--version`). */
  readonly deviceVersion: string;
  readonly now: number;
  /** Says the report's messages in the chosen language. */
  readonly t: Translate;
}

/** `http://host:port` as written in reports. */
export function originText({ scheme, host, port }: Origin): string {
  return `${scheme}://${host}:${port}`;
}
