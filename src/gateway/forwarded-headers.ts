/**
 * The request headers sent upstream: the device's own (names, casing, order and values unchanged — the
 * upstream keys identity, tokens and activation on them, docs/upstream.md), minus hop-by-hop and framing
 * headers and `Expect` (Node's server already answered `100-continue` to the device, and the proxy sends a
 * body it holds or is already streaming), plus X-Forwarded-For/-Host/-Proto and X-Real-IP. Client-sent X-Forwarded-* are believed only
 * from a trusted peer; from anyone else they are replaced by what the proxy saw (docs/configuration.md "Templates").
 */
import type { Config } from '../config/types.js';
import type { RequestFacts } from '../device/types.js';

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies still meet. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** The same plus `close`: what a `Connection: close` request (every device's) drops, built once. */
const HOP_BY_HOP_AND_CLOSE: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'close']);

/** Hop-by-hop names, including those a `Connection` header lists (a shared set when it lists no others). */
export function hopByHopNames(connectionHeader: string | readonly string[] | undefined): ReadonlySet<string> {
  let names: Set<string> | null = null;
  let close = false;
  const values = typeof connectionHeader === 'string' ? [connectionHeader] : (connectionHeader ?? []);
  for (const value of values) {
    for (const part of value.split(',')) {
      const token = part.trim().toLowerCase();
      if (token === '' || HOP_BY_HOP.has(token)) continue;
      if (token === 'close') close = true;
      else (names ??= new Set(HOP_BY_HOP)).add(token);
    }
  }
  if (names === null) return close ? HOP_BY_HOP_AND_CLOSE : HOP_BY_HOP;
  if (close) names.add('close');
  return names;
}

/** Names the proxy sets itself (framing, encoding, forwarding) and never copies from the device. */
const REPLACED = new Set([
  'host',
  'content-length',
  'accept-encoding',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'forwarded',
  'x-forwarded-port',
]);

export interface ForwardingFacts {
  /** The socket peer, unmapped. */
  readonly peer: string;
  readonly trustedPeer: boolean;
  /** The device's address as the proxy resolved it (RequestFacts.address). */
  readonly address: string;
  /** Whether the listener speaks TLS. */
  readonly tls: boolean;
  /** `host:port` of the upstream, for the Host header it expects. */
  readonly upstreamHost: string;
}

/** The facts `forwardedHeaders` needs, from the request facts and the upstream the config names. */
export function forwardingFacts(request: RequestFacts, config: Config, tls: boolean): ForwardingFacts {
  const { target } = config.upstream;
  const defaultPort = target.scheme === 'https' ? 443 : 80;
  return {
    peer: request.peer,
    trustedPeer: request.trustedPeer,
    address: request.address,
    tls,
    upstreamHost: target.port === defaultPort ? target.host : `${target.host}:${target.port}`,
  };
}

/** Builds the flat raw header list for the upstream request from the device's raw headers. */
export function forwardedHeaders(rawHeaders: readonly string[], facts: ForwardingFacts): string[] {
  return buildHeaders(rawHeaders, facts, false);
}

/**
 * The same for a request whose body is piped upstream as it arrives (the passthrough), plus that body's
 * framing: the client's Content-Length, or chunked when it sent chunked.
 */
export function streamedHeaders(rawHeaders: readonly string[], facts: ForwardingFacts): string[] {
  return buildHeaders(rawHeaders, facts, true);
}

function buildHeaders(rawHeaders: readonly string[], facts: ForwardingFacts, streamed: boolean): string[] {
  let connection: string | null = null;
  let xff: string | null = null;
  let xfHost: string | null = null;
  let xfProto: string | null = null;
  let host: string | null = null;
  let contentLength: string | null = null;
  let chunked = false;
  const out: string[] = ['Host', facts.upstreamHost];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'connection':
        connection = connection === null ? value : `${connection}, ${value}`;
        continue;
      case 'x-forwarded-for':
        xff = xff === null ? value : `${xff}, ${value}`;
        continue;
      case 'x-forwarded-host':
        xfHost = xfHost === null ? value : `${xfHost}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        xfProto = xfProto === null ? value : `${xfProto}, ${value}`;
        continue;
      case 'host':
        host ??= value;
        continue;
      case 'content-length':
        contentLength ??= value;
        continue;
      case 'transfer-encoding':
        chunked = true;
        continue;
      case 'expect':
        continue;
    }
    // `Close` is a reserved field name (RFC 9110 §16.3.2.2): only ever a connection option.
    if (HOP_BY_HOP_AND_CLOSE.has(lower) || REPLACED.has(lower)) continue;
    out.push(name, value);
  }
  const listed = hopByHopNames(connection ?? undefined);
  // Rare: the client's Connection header names end-to-end-looking fields to drop (RFC 9110 §7.6.1).
  if (listed !== HOP_BY_HOP && listed !== HOP_BY_HOP_AND_CLOSE) dropListed(out, listed);
  const trusted = facts.trustedPeer;
  out.push('Accept-Encoding', 'identity');
  out.push('X-Forwarded-For', trusted && xff ? `${xff}, ${facts.peer}` : facts.peer);
  out.push('X-Real-IP', facts.address);
  const forwardedHost = (trusted && xfHost ? lastValue(xfHost) : null) ?? host;
  if (forwardedHost) out.push('X-Forwarded-Host', forwardedHost);
  const proto = trusted && xfProto ? lastValue(xfProto)?.toLowerCase() : null;
  out.push('X-Forwarded-Proto', proto === 'http' || proto === 'https' ? proto : facts.tls ? 'https' : 'http');
  if (streamed) {
    // Node re-frames the piped body from these: as long as declared, or chunked.
    if (contentLength !== null) out.push('Content-Length', contentLength);
    else if (chunked) out.push('Transfer-Encoding', 'chunked');
  }
  return out;
}

/** Removes, in place, the pairs whose name is in `names` (the leading Host pair is the proxy's own). */
function dropListed(out: string[], names: ReadonlySet<string>): void {
  let kept = 2;
  for (let i = 2; i + 1 < out.length; i += 2) {
    const name = out[i] as string;
    if (names.has(name.toLowerCase())) continue;
    out[kept] = name;
    out[kept + 1] = out[i + 1] as string;
    kept += 2;
  }
  out.length = kept;
}

function lastValue(list: string): string | null {
  const parts = list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.at(-1) ?? null;
}
