/**
 * The request headers sent upstream: the device's own (names, casing, order and values unchanged — the
 * upstream keys identity, tokens and activation on them, upstream.md), minus hop-by-hop and framing
 * headers, plus X-Forwarded-For/-Host/-Proto and X-Real-IP. Client-sent X-Forwarded-* are believed only
 * from a trusted peer; from anyone else they are replaced by what the proxy saw (CONFIG.md "Templates").
 */

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies still meet. */
export const HOP_BY_HOP = new Set([
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

/** Hop-by-hop names, including the ones a `Connection` header lists. */
export function hopByHopNames(connectionHeader: string | readonly string[] | undefined): Set<string> {
  const names = new Set(HOP_BY_HOP);
  const values = typeof connectionHeader === 'string' ? [connectionHeader] : (connectionHeader ?? []);
  for (const value of values)
    for (const token of value.split(',')) if (token.trim()) names.add(token.trim().toLowerCase());
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

/** Builds the flat raw header list for the upstream request from the device's raw headers. */
export function forwardedHeaders(rawHeaders: readonly string[], facts: ForwardingFacts): string[] {
  const connection: string[] = [];
  let xff: string | null = null;
  let xfHost: string | null = null;
  let xfProto: string | null = null;
  let host: string | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === 'connection') connection.push(value);
    else if (name === 'x-forwarded-for') xff = xff === null ? value : `${xff}, ${value}`;
    else if (name === 'x-forwarded-host') xfHost = xfHost === null ? value : `${xfHost}, ${value}`;
    else if (name === 'x-forwarded-proto') xfProto = xfProto === null ? value : `${xfProto}, ${value}`;
    else if (name === 'host' && host === null) host = value;
  }
  const skip = hopByHopNames(connection);
  const out: string[] = ['Host', facts.upstreamHost];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (skip.has(lower) || REPLACED.has(lower)) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  const trusted = facts.trustedPeer;
  out.push('Accept-Encoding', 'identity');
  out.push('X-Forwarded-For', trusted && xff ? `${xff}, ${facts.peer}` : facts.peer);
  out.push('X-Real-IP', facts.address);
  const forwardedHost = (trusted && xfHost ? lastValue(xfHost) : null) ?? host;
  if (forwardedHost) out.push('X-Forwarded-Host', forwardedHost);
  const proto = trusted && xfProto ? lastValue(xfProto)?.toLowerCase() : null;
  out.push('X-Forwarded-Proto', proto === 'http' || proto === 'https' ? proto : facts.tls ? 'https' : 'http');
  return out;
}

function lastValue(list: string): string | null {
  const parts = list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.at(-1) ?? null;
}
