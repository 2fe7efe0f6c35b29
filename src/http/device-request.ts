/** Reads the device and the request facts from a Node request, once per exchange. */
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/types.js';
import { readDevice } from '../device/identify.js';
import { readRequestFacts } from '../device/request-facts.js';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import { unmapAddress } from '../match/cidr.js';

/** Node's header object flattened to single strings (repeated headers joined with `, `). */
export function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

export function readRequest(req: IncomingMessage, config: Config, tls: boolean): RequestFacts {
  return readRequestFacts({
    peer: unmapAddress(req.socket.remoteAddress ?? '0.0.0.0'),
    headers: flatHeaders(req),
    tls,
    config,
    localAddress: unmapAddress(req.socket.localAddress ?? '127.0.0.1'),
    ...(req.socket.localPort === undefined ? {} : { localPort: req.socket.localPort }),
  });
}

export function readDeviceFacts(req: IncomingMessage, body: Buffer): DeviceFacts {
  return readDevice(flatHeaders(req), body);
}
