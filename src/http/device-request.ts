/** Reads the device and the request facts from a Node request, once per exchange. */
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/types.js';
import { readDevice } from '../device/identify.js';
import { readRequestFacts } from '../device/request-facts.js';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import { unmapAddress } from '../match/cidr.js';

/** Each request's flattened headers, made once when a header repeats: the request facts and the device facts both read them. */
const flattened = new WeakMap<IncomingMessage, Record<string, string | undefined>>();

/**
 * Node's header object flattened to single strings (repeated headers joined with `, `); do not change it.
 * Node already joins most repeated headers; only `set-cookie` comes as a list, so nearly every request's
 * header object is returned as it is, not copied.
 */
export function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const { headers } = req;
  for (const name in headers) if (Array.isArray(headers[name])) return flattenedCopy(req);
  return headers as Record<string, string | undefined>;
}

function flattenedCopy(req: IncomingMessage): Record<string, string | undefined> {
  const known = flattened.get(req);
  if (known !== undefined) return known;
  const { headers } = req;
  const out: Record<string, string | undefined> = {};
  for (const name in headers) {
    const value = headers[name];
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  flattened.set(req, out);
  return out;
}

export function readRequest(req: IncomingMessage, config: Config, tls: boolean): RequestFacts {
  // Node sets `req.socket` to null once a request is destroyed (its client went away): never throw on it.
  const socket = req.socket as IncomingMessage['socket'] | null;
  return readRequestFacts({
    peer: unmapAddress(socket?.remoteAddress ?? '0.0.0.0'),
    headers: flatHeaders(req),
    tls,
    config,
    localAddress: unmapAddress(socket?.localAddress ?? '127.0.0.1'),
    ...(socket?.localPort === undefined ? {} : { localPort: socket.localPort }),
  });
}

export function readDeviceFacts(req: IncomingMessage, body: Buffer): DeviceFacts {
  return readDevice(flatHeaders(req), body);
}
