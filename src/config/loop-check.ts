/**
 * Whether an address the proxy would connect to is the proxy's own listener (docs/configuration.md "More
 * load-time checks"): same port, and the same host — or, when listening on a wildcard or loopback
 * address, a loopback address, `localhost` or an address of this machine. No DNS is consulted.
 */
import type { HostPort } from './types.js';
import { parseIp, unmapAddress } from '../match/cidr.js';

export interface LoopCheckInput {
  readonly listen: HostPort;
  /** The upstream (or `voice_proxy.upstream`, or `admin.listen`); IPv6 with or without brackets. */
  readonly target: { readonly host: string; readonly port: number };
  /** This machine's interface addresses (os.networkInterfaces() at the I/O edge). */
  readonly localAddresses: readonly string[];
}

function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return unmapAddress(bare.toLowerCase().replace(/\.$/, ''));
}

function sameHost(a: string, b: string): boolean {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x === null || y === null) return a === b;
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

function isWildcard(host: string): boolean {
  const bytes = parseIp(host);
  return bytes !== null && bytes.every((b) => b === 0);
}

function isLoopback(host: string): boolean {
  // `*.localhost` names resolve to loopback too (RFC 6761 §6.3).
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const bytes = parseIp(host);
  if (bytes === null) return false;
  if (bytes.length === 4) return bytes[0] === 127;
  return bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** True when connecting to `target` would reach the listener at `listen`. A listen port of 0 (any free port) never loops. */
export function loopsBack({ listen, target, localAddresses }: LoopCheckInput): boolean {
  if (listen.port === 0 || target.port !== listen.port) return false;
  const own = normalizeHost(listen.host);
  const other = normalizeHost(target.host);
  if (sameHost(own, other)) return true;
  if (!isWildcard(own) && !isLoopback(own)) return false;
  // Connecting to 0.0.0.0 or :: reaches this machine as well.
  if (isLoopback(other) || isWildcard(other)) return true;
  return localAddresses.some((address) => sameHost(normalizeHost(address), other));
}
