/**
 * What kind of host a URL handed to devices names, and whether a device can be expected to reach it
 * (docs/upstream.md "What users keep running into": Docker-internal `172.x` addresses, loopback, and the
 * upstream's own placeholders). Pure: no DNS is consulted; a name is judged by its spelling only.
 */
import { translator, type Translate } from '../i18n/translate.js';
import { parseIp } from '../match/cidr.js';

export type HostKind =
  /** 127.0.0.0/8, ::1, `localhost`: the device itself, never the server. */
  | 'loopback'
  /** 0.0.0.0 or `::`: a listen address, not a destination. */
  | 'unspecified'
  /** 172.16.0.0/12: where Docker puts its bridge networks (172.17.0.0/16 and up). */
  | 'docker'
  /** 10.0.0.0/8, 192.168.0.0/16, fc00::/7: reachable from the same network only. */
  | 'private'
  /** 169.254.0.0/16, fe80::/10: one link only, never configured on purpose. */
  | 'link-local'
  /** 100.64.0.0/10: carrier-grade NAT or an overlay VPN (Tailscale). */
  | 'shared'
  /** The upstream's own sample values (`你的ip或者域名`, `xiaozhi.server.com`, `example.com` …). */
  | 'placeholder'
  | 'public-ip'
  /** A DNS name: the device resolves it. */
  | 'name';

/**
 * Spellings that are the xiaozhi-server's examples rather than a real host: its config.yaml's
 * `ws://你的ip或者域名:端口号/xiaozhi/v1/`, manager-api's `server.fronted_url` default, RFC 2606 names.
 */
const PLACEHOLDER_NAMES = [
  /^xiaozhi\.server\.com$/,
  /(^|\.)example\.(com|org|net)$/,
  /\.(example|invalid|test)$/,
  /^(your|my)[-_.]?(ip|host|domain|server)/,
];

/** Classifies a host as written in a URL (IPv6 may be bracketed); lowercase or not. */
export function hostKind(rawHost: string): HostKind {
  const host = rawHost
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  // Non-ASCII (`你的ip`), blanks or template leftovers: nothing a device could resolve.
  if (host === '' || /[^\x21-\x7e]/.test(host) || /[{}<>]/.test(host)) return 'placeholder';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  const bytes = parseIp(host);
  if (bytes === null) return PLACEHOLDER_NAMES.some((re) => re.test(host)) ? 'placeholder' : 'name';
  return bytes.length === 4 ? ipv4Kind(bytes) : ipv6Kind(bytes);
}

function ipv4Kind(b: Uint8Array): HostKind {
  const [a = 0, second = 0] = b;
  if (b.every((x) => x === 0)) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 172 && second >= 16 && second <= 31) return 'docker';
  if (a === 10 || (a === 192 && second === 168)) return 'private';
  if (a === 169 && second === 254) return 'link-local';
  if (a === 100 && second >= 64 && second <= 127) return 'shared';
  if (a === 0) return 'unspecified';
  return 'public-ip';
}

function ipv6Kind(b: Uint8Array): HostKind {
  if (b.every((x) => x === 0)) return 'unspecified';
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d): judged as the IPv4 address.
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return ipv4Kind(b.slice(12));
  const first = b[0] ?? 0;
  if ((first & 0xfe) === 0xfc) return 'private';
  if (first === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80) return 'link-local';
  return 'public-ip';
}

/** How a host in a device-facing URL is judged: `ok`, `warn` (reachable only from some networks) or `fail`. */
export interface HostJudgement {
  readonly kind: HostKind;
  readonly verdict: 'ok' | 'warn' | 'fail';
  /** One sentence for the report. */
  readonly why: string;
}

/**
 * Judges a host devices are told to connect to, given the host they use to reach the proxy
 * (`deviceHost`): the same host is always fine; a private address is fine for devices on that network.
 */
export function judgeHost(host: string, deviceHost: string, t: Translate = translator('en')): HostJudgement {
  const kind = hostKind(host);
  const same = normalise(host) === normalise(deviceHost);
  if (same) return { kind, verdict: 'ok', why: t('doctor.host.same') };
  const deviceKind = hostKind(deviceHost);
  switch (kind) {
    case 'loopback':
      return { kind, verdict: 'fail', why: t('doctor.host.loopback', { host }) };
    case 'unspecified':
      return { kind, verdict: 'fail', why: t('doctor.host.unspecified', { host }) };
    case 'placeholder':
      return { kind, verdict: 'fail', why: t('doctor.host.placeholder', { host }) };
    case 'link-local':
      return { kind, verdict: 'fail', why: t('doctor.host.link-local', { host }) };
    case 'docker':
      // A LAN may use 172.16/12 too: the same /16 as the address devices use counts as their network.
      if (sameSlash16(host, deviceHost))
        return { kind: 'private', verdict: 'ok', why: t('doctor.host.docker-same-network') };
      return { kind, verdict: 'fail', why: t('doctor.host.docker', { host }) };
    case 'private':
      if (deviceKind === 'private' || deviceKind === 'docker')
        return { kind, verdict: 'ok', why: t('doctor.host.private') };
      return { kind, verdict: 'warn', why: t('doctor.host.private-elsewhere', { host, deviceHost }) };
    case 'shared':
      return { kind, verdict: 'warn', why: t('doctor.host.shared', { host }) };
    case 'public-ip':
      return { kind, verdict: 'ok', why: t('doctor.host.public-ip') };
    case 'name':
      return { kind, verdict: 'ok', why: t('doctor.host.name') };
    default: {
      const never: never = kind;
      throw new Error(`unhandled host kind ${String(never)}`);
    }
  }
}

function normalise(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

function sameSlash16(a: string, b: string): boolean {
  const x = parseIp(normalise(a));
  const y = parseIp(normalise(b));
  return x !== null && y !== null && x.length === 4 && y.length === 4 && x[0] === y[0] && x[1] === y[1];
}

/** Where a device-facing URL points, read leniently: the host as written (never punycoded), the port if readable. */
export interface UrlEndpoint {
  readonly scheme: string;
  /** As written, brackets removed from IPv6. */
  readonly host: string;
  /** The explicit port, else the scheme's default; `null` when the port is not a number (`:端口号`). */
  readonly port: number | null;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, ws: 80, https: 443, wss: 443 };

/**
 * Host and port of a URL as a device would dial them. Not `new URL()`: it refuses the upstream's
 * placeholder (`ws://你的ip或者域名:端口号/…`) and would punycode a non-ASCII host, hiding what it is.
 */
export function endpointOf(url: string): UrlEndpoint | null {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?/i.exec(
    url.trim(),
  );
  if (match === null) return null;
  const scheme = (match[1] ?? '').toLowerCase();
  const host = (match[2] ?? '').replace(/^\[|\]$/g, '');
  if (host === '') return null;
  const portText = match[3];
  let port: number | null;
  if (portText === undefined || portText === '') port = DEFAULT_PORTS[scheme] ?? null;
  else
    port =
      /^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535
        ? Number(portText)
        : null;
  return { scheme, host, port };
}

/** `host:port` of an MQTT endpoint (`host` or `host:port`, default 1883), as the guard accepts it. */
export function mqttEndpointOf(endpoint: string): UrlEndpoint | null {
  const match = /^(\[[^\]]*\]|[^:]+)(?::(\d{1,5}))?$/.exec(endpoint.trim());
  if (match === null) return null;
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  const port = match[2] === undefined ? 1883 : Number(match[2]);
  return host === '' || port < 1 || port > 65535 ? null : { scheme: 'mqtt', host, port };
}
