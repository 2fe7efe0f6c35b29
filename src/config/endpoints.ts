/**
 * The address-like values of the configuration: `host:port` listeners, upstream and public URLs
 * (scheme, host and port only) and URL paths (docs/configuration.md "The file", "More load-time checks").
 * Each parser returns `{ value }`, a string saying what is wrong, or `null` when the expectation
 * alone says it (`Converted`, the YamlReader.parse protocol).
 */
import type { HostPort, Origin, UpstreamTarget } from './types.js';
import { parseIp } from '../match/cidr.js';
import type { Converted } from './yaml-source.js';

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function parsePort(text: string, { allowZero }: { allowZero: boolean }): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  if (port > 65535 || (port === 0 && !allowZero)) return null;
  return port;
}

/**
 * `host:port` or `[ipv6]:port` for a listener; the host is an IPv4 address, a host name or a
 * bracketed IPv6 address (returned without brackets). Port 0 (any free port) only with `allowZero`.
 */
export function parseHostPort(
  text: string,
  { allowZero = true }: { allowZero?: boolean } = {},
): Converted<HostPort> {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  const plain = bracketed === null ? /^([^:[\]]*):([^:]*)$/.exec(text) : null;
  const match = bracketed ?? plain;
  if (match === null) return null;
  const host = (match[1] ?? '').toLowerCase();
  const port = parsePort(match[2] ?? '', { allowZero });
  if (port === null) return `the port must be 1–65535${allowZero ? ' (or 0 for any free port)' : ''}`;
  if (host === '')
    return 'the host is missing: write 0.0.0.0:<port> for every IPv4 address, [::]:<port> for IPv6';
  if (bracketed !== null) {
    // parseIp unmaps ::ffff:a.b.c.d to 4 bytes, which is still an IPv6 literal here.
    if (!host.includes(':') || parseIp(host) === null) return `[${host}] is not an IPv6 address`;
    return { value: { host, port } };
  }
  if (!HOSTNAME.test(host)) return `${JSON.stringify(host)} is not a host name or IPv4 address`;
  return { value: { host, port } };
}

interface UrlOrigin {
  readonly scheme: string;
  /** IPv6 bracketed, lowercase, no port. */
  readonly host: string;
  readonly port: number;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 };

/**
 * A URL that names only an origin: `scheme://host[:port]`, optionally with a bare `/`; no
 * credentials, path, query or fragment. `pathHint` explains where a path belongs instead.
 */
function parseOriginUrl(text: string, schemes: readonly string[], pathHint: string): Converted<UrlOrigin> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) return null;
  if (/\s/.test(text)) return 'it contains white space';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.hostname === '') return 'the host is missing';
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not supported';
  if (text.includes('?') || text.includes('#')) return 'it must not carry a query or fragment';
  if (url.pathname !== '/' && url.pathname !== '')
    return `it must not carry a path (${url.pathname}); ${pathHint}`;
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  if (port === undefined) return null;
  if (port === 0) return 'port 0 cannot be connected to';
  return { value: { scheme, host: url.hostname, port } };
}

/** `upstream.url`: `http(s)://host[:port]`, no path (the path is `ota_path`). */
export function parseUpstreamUrl(text: string): Converted<UpstreamTarget> {
  const parsed = parseOriginUrl(text, ['http', 'https'], 'the OTA path comes from `ota_path`');
  if (parsed === null || typeof parsed === 'string') return parsed;
  const { host, port } = parsed.value;
  const scheme = parsed.value.scheme === 'https' ? 'https' : 'http';
  return { value: { scheme, host, port, href: `${scheme}://${host}:${port}` } };
}

/** `public_url`: `http(s)://host[:port]` with nothing after (a bare `/` is tolerated). */
export function parsePublicUrl(text: string): Converted<Origin> {
  const parsed = parseOriginUrl(text, ['http', 'https'], 'firmware URLs add their own path');
  if (parsed === null || typeof parsed === 'string') return parsed;
  const { host, port } = parsed.value;
  return { value: { scheme: parsed.value.scheme === 'https' ? 'https' : 'http', host, port } };
}

export type VoiceUpstream = Origin & { readonly wsScheme: 'ws' | 'wss'; readonly href: string };

/** `voice_proxy.upstream`: `ws(s)://host[:port]`, no path (upgrades keep the device's path). */
export function parseVoiceUpstream(text: string): Converted<VoiceUpstream> {
  const parsed = parseOriginUrl(text, ['ws', 'wss'], "the device's own path is forwarded");
  if (parsed === null || typeof parsed === 'string') return parsed;
  const { host, port } = parsed.value;
  const secure = parsed.value.scheme === 'wss';
  return {
    value: {
      scheme: secure ? 'https' : 'http',
      wsScheme: secure ? 'wss' : 'ws',
      host,
      port,
      href: `${secure ? 'wss' : 'ws'}://${host}:${port}`,
    },
  };
}

// RFC 3986 §3.3 path characters (pchar) plus `/`.
const PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/** `ota_path`, `voice_proxy.path`: normalised to start and end with `/`; no query, fragment, `.`/`..` or empty segments. */
export function normalizePath(text: string): Converted<string> {
  if (text === '') return null;
  if (text.includes('?') || text.includes('#')) return 'a path carries no query or fragment';
  if (!PATH.test(text)) return 'it contains characters that are not allowed in a URL path';
  let path = text.startsWith('/') ? text : `/${text}`;
  path = path.endsWith('/') ? path : `${path}/`;
  if (path.includes('//')) return 'it contains an empty segment (`//`)';
  if (path.split('/').some((segment) => segment === '.' || segment === '..'))
    return 'it contains a `.` or `..` segment';
  return { value: path };
}
