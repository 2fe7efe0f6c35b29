/**
 * The configuration file → the resolved `Config` (CONFIG.md: every key and every load-time check).
 * Pure: the text, its path, the environment and this machine's addresses come in as parameters
 * (runtime/config-file.ts reads the file). One function per top-level key; the `when:` lists live in
 * items.ts, the address-like values in endpoints.ts, the loop test in loop-check.ts.
 *
 * Readers collect issues instead of throwing. A value that failed gets a placeholder so the rest of
 * the file is still checked; `throwIfIssues()` at the end throws one ConfigError with every issue,
 * so a Config with a placeholder in it is never returned.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseCidr } from '../match/cidr.js';
import type { Cidr } from '../match/types.js';
import { DEFAULTS, TOP_LEVEL_KEYS } from './defaults.js';
import {
  normalizePath,
  parseHostPort,
  parsePublicUrl,
  parseUpstreamUrl,
  parseVoiceUpstream,
} from './endpoints.js';
import type { Env } from './interpolate.js';
import { readMqtt, readRewrite, readServerTime, readWebsocket } from './items.js';
import { loopsBack } from './loop-check.js';
import type { Config, FleetStoreSetting, HostPort, LogLevel, Origin } from './types.js';
import { createReader, parseYamlSource } from './yaml-source.js';
import type { Converted, Field, MapView, YamlReader } from './yaml-source.js';

export interface ParseConfigOptions {
  /** Absolute path of the file: `Config.file`, and relative paths inside it resolve against its folder. */
  readonly file: string;
  /** The file as named in messages (e.g. as the user typed it); default `file`. */
  readonly displayFile?: string;
  /** Variables for `${VAR}`; default none. */
  readonly env?: Env;
  /** This machine's interface addresses, for the loop check; default none. */
  readonly localAddresses?: readonly string[];
}

/** setTimeout fires at once for delays above 2^31−1 ms, so no configured time may exceed it. */
const MAX_TIMER_MS = 2147483647;
/** The device waits 30 s for the OTA reply; the upstream must be done well before (device-contract.md §2). */
const MAX_UPSTREAM_TIMEOUT_MS = 25000;
/** Bodies the proxy holds in memory. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** No device reads more than 8 KiB: a larger upstream reply is never worth parsing (CONFIG.md amendments). */
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;
const MAX_REMEMBERED_DEVICES = 1_000_000;
const MAX_KEPT_EXCHANGES = 100_000;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses and validates a configuration file; throws ConfigError (CONFIG_INVALID) listing every problem. An empty file gives the defaults. */
export function parseConfig(
  text: string,
  { file, displayFile = file, env = {}, localAddresses = [] }: ParseConfigOptions,
): Config {
  const r = createReader(parseYamlSource(text, { file: displayFile, env }));
  const root = r.object(r.root(), TOP_LEVEL_KEYS);
  if (root === undefined) throw new ConfigError([...r.issues]);
  const folder = dirname(file);

  const listen = readListen(r, root.get('listen', DEFAULTS.listen));
  const upstream = readUpstream(r, section(r, root, 'upstream'));
  const voiceProxy = readVoiceProxy(r, section(r, root, 'voice_proxy'));
  const admin = readAdmin(r, section(r, root, 'admin'));
  if (listen.value !== undefined) {
    checkLoops(r, { field: listen.field, value: listen.value }, localAddresses, [
      { key: 'upstream.url', ...upstream.url, advice: 'point it at the xiaozhi-server' },
      { key: 'voice_proxy.upstream', ...voiceProxy.upstream, advice: 'point it at the voice server' },
      {
        key: 'admin.listen',
        ...admin.listen,
        advice: 'give it another port, or null to serve /metrics and /admin on `listen`',
      },
    ]);
  }

  const config: Config = {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    listen: listen.value ?? PLACEHOLDER_HOST_PORT,
    upstream: upstream.value,
    otaPath: readPath(r, root.get('ota_path', DEFAULTS.ota_path)),
    publicUrl: readPublicUrl(r, root.get('public_url', DEFAULTS.public_url)),
    trustedProxies: readTrustedProxies(r, root.get('trusted_proxies', DEFAULTS.trusted_proxies)),
    rewrite: readRewrite(r, root.get('rewrite', DEFAULTS.rewrite)) ?? [],
    websocket: readWebsocket(r, root.get('websocket', DEFAULTS.websocket)) ?? null,
    mqtt: readMqtt(r, root.get('mqtt', DEFAULTS.mqtt)) ?? [],
    serverTime: readServerTime(r, root.get('server_time', DEFAULTS.server_time)) ?? [],
    firmware: readFirmware(r, section(r, root, 'firmware'), folder),
    fallback: readFallback(r, section(r, root, 'fallback')),
    breaker: readBreaker(r, section(r, root, 'breaker')),
    limits: readLimits(r, section(r, root, 'limits')),
    passthrough: readPassthrough(r, section(r, root, 'passthrough')),
    voiceProxy: voiceProxy.value,
    tls: readTls(r, section(r, root, 'tls'), folder),
    admin: admin.value,
    fleet: readFleet(r, section(r, root, 'fleet'), folder),
    shutdownGraceMs:
      r.int(root.get('shutdown_grace_ms', DEFAULTS.shutdown_grace_ms), { min: 0, max: MAX_TIMER_MS }) ?? 0,
    log: readLog(r, section(r, root, 'log')),
  };
  if (config.firmware.requireToken && !config.fleet.enabled) {
    const firmware = section(r, root, 'firmware');
    r.issue(
      firmware.get('require_token'),
      '`firmware.require_token: true` needs `fleet.enabled: true` (download tokens come from the fleet)',
    );
  }
  r.throwIfIssues();
  return config;
}

// Stand-ins for values that failed validation; their issue is recorded, so they never leave parseConfig.
const PLACEHOLDER_HOST_PORT: HostPort = { host: '', port: 0 };

/** A value with the field it was read from, for checks that span keys. `undefined` = invalid. */
interface Located<T> {
  readonly field: Field;
  readonly value: T | undefined;
}

/** A section mapping (`upstream:` …) whose allowed keys are its defaults' keys; when it is not a mapping (an issue), its defaults. */
function section(r: YamlReader, root: MapView, key: keyof typeof DEFAULTS): MapView {
  const defaults: unknown = DEFAULTS[key];
  const keys = defaults !== null && typeof defaults === 'object' ? Object.keys(defaults) : [];
  const field = root.get(key);
  return r.object(field, keys) ?? (r.object({ ...field, node: undefined }, keys) as MapView);
}

// ---------------------------------------------------------------------------------------------
// listen, upstream, ota_path, public_url, trusted_proxies

function readListen(r: YamlReader, field: Field): Located<HostPort> {
  return {
    field,
    value: r.parse(field, 'host:port such as 0.0.0.0:8003 or "[::]:8003"', (text) => parseHostPort(text)),
  };
}

function readUpstream(r: YamlReader, view: MapView): { url: Located<HostPort>; value: Config['upstream'] } {
  const field = view.get('url', DEFAULTS.upstream.url);
  const target = r.parse(field, 'an http(s) URL such as http://127.0.0.1:8002', parseUpstreamUrl);
  return {
    url: { field, value: target },
    value: {
      target: target ?? { scheme: 'http', host: '', port: 0, href: '' },
      timeoutMs:
        r.int(view.get('timeout_ms', DEFAULTS.upstream.timeout_ms), {
          min: 1,
          max: MAX_UPSTREAM_TIMEOUT_MS,
        }) ?? 0,
      maxBodyBytes:
        r.int(view.get('max_body_bytes', DEFAULTS.upstream.max_body_bytes), {
          min: 1,
          max: MAX_UPSTREAM_BODY_BYTES,
        }) ?? 0,
    },
  };
}

/** `ota_path`, `voice_proxy.path`: normalised to start and end with `/`. */
function readPath(r: YamlReader, field: Field): string {
  return r.parse(field, 'a URL path such as /xiaozhi/ota/', normalizePath) ?? '/';
}

function readPublicUrl(r: YamlReader, field: Field): 'auto' | Origin {
  const expected = '`auto` or an http(s) URL such as https://ota.example.com';
  return (
    r.parse(field, expected, (text): Converted<'auto' | Origin> =>
      text === 'auto' ? { value: 'auto' } : parsePublicUrl(text),
    ) ?? 'auto'
  );
}

function readTrustedProxies(r: YamlReader, field: Field): readonly Cidr[] {
  const items = r.list(field, { single: true, nonEmpty: false }) ?? [];
  return items
    .map((item) =>
      r.parse(item, 'a CIDR block such as 10.0.0.0/8 or fd00::/8, or a single address', (text) => {
        const cidr = parseCidr(text);
        return cidr === null ? null : { value: cidr };
      }),
    )
    .filter((cidr): cidr is Cidr => cidr !== undefined);
}

// ---------------------------------------------------------------------------------------------
// firmware, fallback, breaker, limits

/** `null`, or a path resolved against the config file's folder (CONFIG.md "The file"). */
function readFilePath(r: YamlReader, field: Field, folder: string): string | null {
  const text = r.nullable(field, (f) => r.string(f, { nonEmpty: true, expected: 'null or a path' }));
  return typeof text === 'string' ? resolve(folder, text) : null;
}

function readFirmware(r: YamlReader, view: MapView, folder: string): Config['firmware'] {
  return {
    // Whether the folder exists is the catalog loader's to report (it also notices it appearing later).
    dir: readFilePath(r, view.get('dir', DEFAULTS.firmware.dir), folder),
    upstreamOffers:
      r.oneOf(view.get('upstream_offers', DEFAULTS.firmware.upstream_offers), ['keep', 'drop'] as const) ??
      'keep',
    requireToken: r.bool(view.get('require_token', DEFAULTS.firmware.require_token)) ?? false,
  };
}

function readPassthrough(r: YamlReader, view: MapView): Config['passthrough'] {
  return {
    maxConcurrent:
      r.int(view.get('max_concurrent', DEFAULTS.passthrough.max_concurrent), { min: 1, max: 100_000 }) ?? 1,
  };
}

/** `memory`, `postgres://…` / `postgresql://…`, or a SQLite file path relative to the config file. */
function readFleetStore(r: YamlReader, field: Field, folder: string): FleetStoreSetting {
  const expected = '`memory`, a SQLite file path, or a postgres:// URL';
  return (
    r.parse(field, expected, (text): Converted<FleetStoreSetting> => {
      if (text === 'memory') return { value: { kind: 'memory' } };
      if (/^postgres(ql)?:/i.test(text)) {
        try {
          const url = new URL(text);
          if (url.hostname === '') return 'the URL names no host';
          return { value: { kind: 'postgres', url: text } };
        } catch {
          return 'it is not a valid URL';
        }
      }
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return 'only postgres:// URLs are supported';
      return { value: { kind: 'sqlite', path: resolve(folder, text) } };
    }) ?? { kind: 'memory' }
  );
}

function readFleet(r: YamlReader, view: MapView, folder: string): Config['fleet'] {
  const d = DEFAULTS.fleet;
  const haltField = view.get('halt', d.halt);
  const halt =
    r.object(haltField, Object.keys(d.halt)) ??
    (r.object({ ...haltField, node: undefined }, Object.keys(d.halt)) as MapView);
  const secret = r.nullable(view.get('token_secret', d.token_secret), (f) => {
    const expected = 'null or a secret of at least 16 characters';
    const text = r.string(f, { expected });
    if (text === undefined || text.length >= 16) return text;
    r.fail(f, expected);
    return undefined;
  });
  return {
    enabled: r.bool(view.get('enabled', d.enabled)) ?? false,
    store: readFleetStore(r, view.get('store', d.store), folder),
    tokenSecret: secret ?? null,
    flushMs: r.int(view.get('flush_ms', d.flush_ms), { min: 1, max: MAX_TIMER_MS }) ?? 1,
    syncMs: r.int(view.get('sync_ms', d.sync_ms), { min: 1, max: MAX_TIMER_MS }) ?? 1,
    maxPending: r.int(view.get('max_pending', d.max_pending), { min: 1, max: 10_000_000 }) ?? 1,
    maxDevices: r.int(view.get('max_devices', d.max_devices), { min: 1, max: 100_000_000 }) ?? 1,
    maxFailedAttempts: r.int(view.get('max_failed_attempts', d.max_failed_attempts), { min: 1 }) ?? 1,
    silentAfterDownloadMinutes:
      positive(r, view.get('silent_after_download_minutes', d.silent_after_download_minutes)) ?? 1,
    attemptTimeoutHours: positive(r, view.get('attempt_timeout_hours', d.attempt_timeout_hours)) ?? 1,
    halt: {
      minFailedDevices: r.int(halt.get('min_failed_devices', d.halt.min_failed_devices), { min: 1 }) ?? 1,
      failureRate: r.number(halt.get('failure_rate', d.halt.failure_rate), { min: 0, max: 1 }) ?? 1,
    },
    forgetAfterDays: positive(r, view.get('forget_after_days', d.forget_after_days)) ?? 1,
  };
}

/** A time window: a number above 0, fractions allowed (FLEET.md: `silent_after_download_minutes: 0.05`). */
function positive(r: YamlReader, field: Field): number | undefined {
  const value = r.number(field, { min: 0 });
  if (value === undefined) return undefined;
  if (value > 0) return value;
  r.fail(field, 'a number above 0');
  return undefined;
}

function readFallback(r: YamlReader, view: MapView): Config['fallback'] {
  return {
    enabled: r.bool(view.get('enabled', DEFAULTS.fallback.enabled)) ?? false,
    rememberDevices:
      r.int(view.get('remember_devices', DEFAULTS.fallback.remember_devices), {
        min: 0,
        max: MAX_REMEMBERED_DEVICES,
      }) ?? 0,
  };
}

function readBreaker(r: YamlReader, view: MapView): Config['breaker'] {
  return {
    failures: r.int(view.get('failures', DEFAULTS.breaker.failures), { min: 1 }) ?? 1,
    cooldownMs:
      r.int(view.get('cooldown_ms', DEFAULTS.breaker.cooldown_ms), { min: 0, max: MAX_TIMER_MS }) ?? 0,
  };
}

function readLimits(r: YamlReader, view: MapView): Config['limits'] {
  const headersField = view.get('headers_timeout_ms', DEFAULTS.limits.headers_timeout_ms);
  const requestField = view.get('request_timeout_ms', DEFAULTS.limits.request_timeout_ms);
  const headersTimeoutMs = r.int(headersField, { min: 1, max: MAX_TIMER_MS });
  const requestTimeoutMs = r.int(requestField, { min: 1, max: MAX_TIMER_MS });
  if (
    headersTimeoutMs !== undefined &&
    requestTimeoutMs !== undefined &&
    headersTimeoutMs > requestTimeoutMs
  ) {
    // Node refuses a server whose headersTimeout exceeds its requestTimeout. Point at what the user wrote.
    const field = headersField.fromFile || !requestField.fromFile ? headersField : requestField;
    r.issue(
      field,
      `\`limits.headers_timeout_ms\` (${headersTimeoutMs}) must not exceed \`limits.request_timeout_ms\` (${requestTimeoutMs})`,
    );
  }
  return {
    deviceBodyBytes:
      r.int(view.get('device_body_bytes', DEFAULTS.limits.device_body_bytes), {
        min: 1,
        max: MAX_BUFFERED_BYTES,
      }) ?? 0,
    headersTimeoutMs: headersTimeoutMs ?? 0,
    requestTimeoutMs: requestTimeoutMs ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// voice_proxy, tls, admin, log

function readVoiceProxy(
  r: YamlReader,
  view: MapView,
): { upstream: Located<HostPort | null>; value: Config['voiceProxy'] } {
  const field = view.get('upstream', DEFAULTS.voice_proxy.upstream);
  const upstream = r.nullable(field, (f) =>
    r.parse(f, 'null or a ws(s) URL such as ws://127.0.0.1:8000', parseVoiceUpstream),
  );
  return {
    upstream: { field, value: upstream },
    value: { path: readPath(r, view.get('path', DEFAULTS.voice_proxy.path)), upstream: upstream ?? null },
  };
}

function readTls(r: YamlReader, view: MapView, folder: string): Config['tls'] {
  const certField = view.get('cert', DEFAULTS.tls.cert);
  const keyField = view.get('key', DEFAULTS.tls.key);
  const cert = readFilePath(r, certField, folder);
  const key = readFilePath(r, keyField, folder);
  if (cert !== null && key !== null) return { cert, key };
  if (cert !== null) r.issue(certField, '`tls.cert` is set but `tls.key` is not: HTTPS needs both');
  if (key !== null) r.issue(keyField, '`tls.key` is set but `tls.cert` is not: HTTPS needs both');
  return null;
}

function readAdmin(
  r: YamlReader,
  view: MapView,
): { listen: Located<HostPort | null>; value: Config['admin'] } {
  const token = r.nullable(view.get('token', DEFAULTS.admin.token), (f) => {
    // It travels in a header (`Authorization: Bearer <token>`): visible ASCII only.
    const expected = 'null or a token of visible ASCII characters without spaces';
    const text = r.string(f, { expected });
    if (text === undefined || /^[\x21-\x7e]+$/.test(text)) return text;
    r.fail(f, expected);
    return undefined;
  });
  const listenField = view.get('listen', DEFAULTS.admin.listen);
  const listen = r.nullable(listenField, (f) =>
    r.parse(f, 'null or host:port such as 127.0.0.1:9090', (text) => parseHostPort(text)),
  );
  return {
    listen: { field: listenField, value: listen },
    value: {
      token: token ?? null,
      listen: listen ?? null,
      exchanges:
        r.int(view.get('exchanges', DEFAULTS.admin.exchanges), { min: 0, max: MAX_KEPT_EXCHANGES }) ?? 0,
    },
  };
}

function readLog(r: YamlReader, view: MapView): Config['log'] {
  const pretty = r.scalar(
    view.get('pretty', DEFAULTS.log.pretty),
    '`auto`, true or false',
    (value): Converted<'auto' | boolean> =>
      value === 'auto' || typeof value === 'boolean' ? { value } : null,
  );
  return {
    level: r.oneOf(view.get('level', DEFAULTS.log.level), LOG_LEVELS) ?? 'info',
    pretty: pretty ?? 'auto',
  };
}

// ---------------------------------------------------------------------------------------------
// The loop check (CONFIG.md "More load-time checks")

interface LoopCandidate extends Located<HostPort | null> {
  readonly key: string;
  readonly advice: string;
}

/** `host:port`, IPv6 bracketed. */
function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** Refuses an upstream, voice upstream or admin listener that is the main listener itself. */
function checkLoops(
  r: YamlReader,
  listen: { readonly field: Field; readonly value: HostPort },
  localAddresses: readonly string[],
  candidates: readonly LoopCandidate[],
): void {
  const own = listen.value;
  for (const { key, field, value, advice } of candidates) {
    if (value === null || value === undefined) continue;
    // A second listener (admin.listen) clashes either way round: one of the two may be the wildcard.
    const loops =
      loopsBack({ listen: own, target: value, localAddresses }) ||
      (key === 'admin.listen' && loopsBack({ listen: value, target: own, localAddresses }));
    if (!loops) continue;
    // Point at what the user wrote: the candidate when it is in the file, else `listen`.
    const at = field.fromFile || !listen.field.fromFile ? field : listen.field;
    r.issue(
      at,
      `\`${key}\` (${formatHostPort(value)}) reaches this proxy's own listener \`listen\` (${formatHostPort(own)}): ${advice}`,
    );
  }
}
