/**
 * The host devices use to reach the proxy, which doctor judges templates and URLs for (never the loopback
 * address doctor itself may dial): `--device-host`, else the host of a fixed `public_url`, else this
 * machine's LAN address.
 */
import { networkInterfaces } from 'node:os';
import type { Config } from '../config/types.js';
import { translator, type Translate } from '../i18n/translate.js';
import { hostKind } from './host-kind.js';

export interface InterfaceAddress {
  readonly name: string;
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly internal: boolean;
}

export interface DeviceHostChoice {
  /** Without brackets or port. */
  readonly host: string;
  /** An explicit port devices use (from `--device-host host:port` or `public_url`), else `null`. */
  readonly port: number | null;
  readonly source: 'option' | 'public_url' | 'lan' | 'none';
  /** The interface the LAN address was taken from. */
  readonly iface?: string;
}

/** Interfaces that are not the machine's LAN: container bridges, virtual links, VPN tunnels. */
const VIRTUAL =
  /^(docker|br-|veth|virbr|vboxnet|vmnet|cni|flannel|cali|weave|kube|tun|tap|wg|zt|tailscale|utun|lo)/i;

/** This machine's interface addresses. */
export function machineInterfaces(): InterfaceAddress[] {
  return Object.entries(networkInterfaces()).flatMap(([name, list]) =>
    (list ?? []).map(
      (info) =>
        ({
          name,
          address: info.address,
          family: info.family === 'IPv6' ? 'IPv6' : 'IPv4',
          internal: info.internal,
        }) as const,
    ),
  );
}

/** Picks the device host; `option` may be `host`, `host:port` or `[v6]:port`. A string is the usage error. */
export function chooseDeviceHost({
  option,
  config,
  interfaces,
  t = translator('en'),
}: {
  option: string | null;
  config: Pick<Config, 'publicUrl'>;
  interfaces: readonly InterfaceAddress[];
  t?: Translate;
}): DeviceHostChoice | string {
  if (option !== null) {
    const parsed = splitHostPort(option);
    return parsed === null
      ? t('doctor.cli.bad-device-host', { value: option })
      : { ...parsed, source: 'option' };
  }
  if (config.publicUrl !== 'auto') {
    return {
      host: config.publicUrl.host.replace(/^\[|\]$/g, ''),
      port: config.publicUrl.port,
      source: 'public_url',
    };
  }
  const lan = pickLanAddress(interfaces);
  if (lan === null) return { host: '127.0.0.1', port: null, source: 'none' };
  return { host: lan.address, port: null, source: 'lan', iface: lan.name };
}

/** The LAN IPv4 address devices most likely reach: a private address on a physical interface first. */
export function pickLanAddress(interfaces: readonly InterfaceAddress[]): InterfaceAddress | null {
  const candidates = interfaces.filter((i) => i.family === 'IPv4' && !i.internal && !VIRTUAL.test(i.name));
  const rank = (i: InterfaceAddress): number => {
    const kind = hostKind(i.address);
    return kind === 'private' ? 0 : kind === 'public-ip' ? 1 : kind === 'docker' ? 2 : 3;
  };
  const sorted = [...candidates].sort((a, b) => rank(a) - rank(b));
  return sorted.find((i) => hostKind(i.address) !== 'link-local') ?? null;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address. */
export function splitHostPort(text: string): { host: string; port: number | null } | null {
  const t = text.trim();
  if (t === '') return null;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (bracketed !== null) return withPort(bracketed[1] ?? '', bracketed[2]);
  if ((t.match(/:/g) ?? []).length > 1) return { host: t, port: null };
  const [host = '', port] = t.split(':');
  if (host === '' || /[\s/?#@]/.test(host)) return null;
  return withPort(host, port);
}

function withPort(host: string, port: string | undefined): { host: string; port: number | null } | null {
  if (port === undefined || port === '') return { host, port: null };
  if (!/^\d{1,5}$/.test(port)) return null;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : null;
}

/** The `Host` header a device sends to reach the proxy: the choice's port, else `public_url`'s, else the listen port. */
export function deviceHostHeader(
  choice: DeviceHostChoice,
  config: Pick<Config, 'publicUrl' | 'listen' | 'tls'>,
): string {
  const host = choice.host.includes(':') ? `[${choice.host}]` : choice.host;
  if (config.publicUrl !== 'auto' && (choice.source === 'public_url' || choice.port === null)) {
    const { scheme, port } = config.publicUrl;
    return port === (scheme === 'https' ? 443 : 80) ? host : `${host}:${port}`;
  }
  const port = choice.port ?? config.listen.port;
  const scheme = config.tls === null ? 'http' : 'https';
  return port === (scheme === 'https' ? 443 : 80) ? host : `${host}:${port}`;
}
