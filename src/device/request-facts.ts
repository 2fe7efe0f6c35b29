/**
 * Where a request came from and which origin the device used to reach the proxy (docs/configuration.md "Templates",
 * "Conditions" `source` and `host`). Forwarding headers are believed only from a peer in
 * `trusted_proxies`; `X-Forwarded-Port` and `Forwarded` are ignored. Malformed values never throw: a
 * header that does not parse is treated as absent.
 */
import type { Config, Origin } from '../config/types.js';
import { inCidrs, parseIp, unmapAddress } from '../match/cidr.js';
import type { RequestFacts } from './types.js';
import { keepLast } from '../match/keep-last.js';

/** What `readRequestFacts` needs from one request; `headers` are keyed by lowercase name. */
export interface RequestFactsInput {
  /** The socket's remote address (IPv4-mapped IPv6 is unmapped here). */
  readonly peer: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Whether the listener speaks TLS. */
  readonly tls: boolean;
  readonly config: Pick<Config, 'trustedProxies' | 'publicUrl'>;
  /** The socket's local address and port: the origin of last resort when the request names no host. */
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

interface HostPort {
  /** Lowercase; IPv6 in brackets. */
  readonly host: string;
  readonly port: number | null;
}

/** Reads the request's facts for `when:` conditions and template rendering. Never throws. */
export function readRequestFacts({
  peer,
  headers,
  tls,
  config,
  localAddress,
  localPort,
}: RequestFactsInput): RequestFacts {
  const peerAddress = unmapAddress(bareAddress(peer));
  const trustedPeer = inCidrs(config.trustedProxies, peerAddress);
  const address = trustedPeer ? clientAddress(headers['x-forwarded-for'], config, peerAddress) : peerAddress;

  // The host the request named: X-Forwarded-Host (right-most value) from a trusted peer, else Host. A
  // value that is not a host is skipped rather than rendered into URLs handed to devices.
  const forwardedHost = trustedPeer ? parseHost(rightMost(headers['x-forwarded-host'])) : null;
  const named = forwardedHost ?? parseHost(headers.host);

  return { address, peer: peerAddress, trustedPeer, host: named?.host ?? null, origin: effectiveOrigin() };

  function effectiveOrigin(): Origin {
    if (config.publicUrl !== 'auto') return config.publicUrl;
    const forwardedProto = trustedPeer ? rightMost(headers['x-forwarded-proto'])?.toLowerCase() : undefined;
    const scheme =
      forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : tls ? 'https' : 'http';
    const defaultPort = scheme === 'https' ? 443 : 80;
    if (named !== null) return { scheme, host: named.host, port: named.port ?? defaultPort };
    // No usable Host at all (HTTP/1.0 clients): the address the request reached, which a device on the
    // same network can dial, rather than `localhost`, which it cannot.
    const local = localAddress === undefined ? null : parseIp(bareAddress(localAddress));
    const host =
      local === null || isUnspecified(local)
        ? 'localhost'
        : formatHost(unmapAddress(bareAddress(localAddress ?? '')));
    const port =
      localPort !== undefined && Number.isInteger(localPort) && localPort > 0 && localPort <= 65535
        ? localPort
        : defaultPort;
    return { scheme, host, port };
  }
}

/**
 * The device's address behind trusted proxies: walking X-Forwarded-For from the right, the first hop that
 * is not itself trusted; the left-most when all are. A hop that is not an address ends the walk: nothing
 * to its left was vouched for, so the last trusted address seen (the peer, at worst) is used.
 */
function clientAddress(
  header: string | undefined,
  config: Pick<Config, 'trustedProxies'>,
  peer: string,
): string {
  if (header === undefined) return peer;
  const hops = header
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  let last = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeHop(hops[i] ?? '');
    if (hop === null) return last;
    if (!inCidrs(config.trustedProxies, hop)) return hop;
    last = hop;
  }
  return last;
}

/** An X-Forwarded-For entry as an address (`1.2.3.4`, `::1`, `[::1]`, `[::1]:80`, `1.2.3.4:80`), unmapped; `null` for garbage. */
function normalizeHop(entry: string): string | null {
  let text = entry;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed !== null) text = bracketed[1] ?? '';
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.indexOf(':'));
  if (parseIp(text) === null) return null;
  return unmapAddress(text.toLowerCase());
}

/** The last non-empty comma-separated value of a header (the one the nearest proxy wrote). */
function rightMost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const values = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return values[values.length - 1];
}

const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;

/**
 * A Host-style value (`name`, `name:port`, `1.2.3.4:port`, `[v6]:port`) split and lowercased; `null` when it
 * is not one (a path, userinfo, blanks, a bad port), so such a value can never end up inside a URL.
 */
// Every check names the same Host (the proxy's own address).
const parseHost = keepLast(readHost);

function readHost(value: string | undefined): HostPort | null {
  const text = value?.trim().toLowerCase();
  if (text === undefined || text === '' || text.length > 260) return null;
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    const inner = text.slice(1, close);
    if (!inner.includes(':') || parseIp(inner) === null) return null;
    host = `[${inner}]`;
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest.slice(1);
  } else {
    const colon = text.indexOf(':');
    if (colon !== text.lastIndexOf(':')) return null; // an unbracketed IPv6 address is not a Host
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? '' : text.slice(colon + 1);
    if (host.length > 253 || !HOST_NAME.test(host)) return null;
  }
  if (portText === '') return { host, port: null }; // `host:` means the default port (RFC 3986 §3.2.3)
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  return port >= 1 && port <= 65535 ? { host, port } : null;
}

function bareAddress(address: string): string {
  const trimmed = address.trim();
  const unbracketed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  const zone = unbracketed.indexOf('%');
  // A zone id (`fe80::1%eth0`) only means something on this machine; a URL cannot carry it usefully.
  return zone < 0 ? unbracketed : unbracketed.slice(0, zone);
}

function isUnspecified(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address.toLowerCase()}]` : address;
}
