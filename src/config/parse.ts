/**
 * The configuration file → the resolved `Config` (docs/configuration.md: every key and every load-time
 * check). Pure: the text, its path, the environment and this machine's addresses come in as parameters
 * (runtime/config-file.ts reads the file). The keys are read by their definitions (proxy-keys.ts);
 * here they are resolved into a Config, and the checks that span keys run: the loop check, the
 * headers timeout within the request timeout, `tls` both-or-neither, `require_token` needs the fleet.
 *
 * Readers collect issues instead of throwing. A value that failed stands in as its default so the rest
 * of the file is still checked; `throwIfIssues()` at the end throws one ConfigError with every issue,
 * so a Config with a stand-in in it is never returned.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Env } from './interpolate.js';
import { readKeys } from './key-definitions.js';
import type { ReadKey } from './key-definitions.js';
import { loopsBack } from './loop-check.js';
import { PROXY_KEYS } from './proxy-keys.js';
import type { ProxyValues } from './proxy-keys.js';
import type { Config, HostPort } from './types.js';
import { createReader, parseYamlSource } from './yaml-source.js';
import type { YamlReader } from './yaml-source.js';

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

/** Parses and validates a configuration file; throws ConfigError (CONFIG_INVALID) listing every problem. An empty file gives the defaults. */
export function parseConfig(
  text: string,
  { file, displayFile = file, env = {}, localAddresses = [] }: ParseConfigOptions,
): Config {
  const r = createReader(parseYamlSource(text, { file: displayFile, env }));
  const { values: v, at } = readKeys(r, r.root(), PROXY_KEYS);
  if (v === undefined) throw new ConfigError([...r.issues]);
  const folder = dirname(file);
  const path = (relative: string | null): string | null =>
    relative === null ? null : resolve(folder, relative);

  checkLoops(r, at, v.listen, localAddresses, [
    { key: 'upstream.url', value: v.upstream.url, advice: 'point it at the xiaozhi-server' },
    { key: 'voice_proxy.upstream', value: v.voice_proxy.upstream, advice: 'point it at the voice server' },
    {
      key: 'admin.listen',
      value: v.admin.listen,
      advice: 'give it another port, or null to serve /metrics and /admin on `listen`',
    },
  ]);
  checkTimeouts(r, at, v.limits);
  if (v.firmware.require_token && !v.fleet.enabled) {
    r.issue(
      at('firmware.require_token').field,
      '`firmware.require_token: true` needs `fleet.enabled: true` (download tokens come from the fleet)',
    );
  }

  const config: Config = {
    file,
    hash: createHash('sha256').update(text).digest('hex'),
    listen: v.listen,
    upstream: {
      target: v.upstream.url,
      timeoutMs: v.upstream.timeout_ms,
      maxBodyBytes: v.upstream.max_body_bytes,
    },
    otaPath: v.ota_path,
    publicUrl: v.public_url,
    trustedProxies: v.trusted_proxies,
    rewrite: v.rewrite,
    websocket: v.websocket,
    mqtt: v.mqtt,
    serverTime: v.server_time,
    firmware: {
      // Whether the folder exists is the catalog loader's to report (it also notices it appearing later).
      dir: path(v.firmware.dir),
      upstreamOffers: v.firmware.upstream_offers,
      requireToken: v.firmware.require_token,
    },
    fallback: { enabled: v.fallback.enabled, rememberDevices: v.fallback.remember_devices },
    breaker: { failures: v.breaker.failures, cooldownMs: v.breaker.cooldown_ms },
    limits: {
      deviceBodyBytes: v.limits.device_body_bytes,
      headersTimeoutMs: v.limits.headers_timeout_ms,
      requestTimeoutMs: v.limits.request_timeout_ms,
    },
    passthrough: { maxConcurrent: v.passthrough.max_concurrent },
    voiceProxy: { path: v.voice_proxy.path, upstream: v.voice_proxy.upstream },
    tls: readTls(r, v.tls, at, path),
    admin: { token: v.admin.token, listen: v.admin.listen, exchanges: v.admin.exchanges },
    fleet: readFleet(v.fleet, folder),
    shutdownGraceMs: v.shutdown_grace_ms,
    log: { level: v.log.level, pretty: v.log.pretty },
  };
  r.throwIfIssues();
  return config;
}

function readFleet(fleet: ProxyValues['fleet'], folder: string): Config['fleet'] {
  const { store } = fleet;
  return {
    enabled: fleet.enabled,
    store: store.kind === 'sqlite' ? { kind: 'sqlite', path: resolve(folder, store.path) } : store,
    tokenSecret: fleet.token_secret,
    flushMs: fleet.flush_ms,
    syncMs: fleet.sync_ms,
    maxPending: fleet.max_pending,
    maxDevices: fleet.max_devices,
    maxFailedAttempts: fleet.max_failed_attempts,
    silentAfterDownloadMinutes: fleet.silent_after_download_minutes,
    attemptTimeoutHours: fleet.attempt_timeout_hours,
    halt: { minFailedDevices: fleet.halt.min_failed_devices, failureRate: fleet.halt.failure_rate },
    forgetAfterDays: fleet.forget_after_days,
  };
}

/** `tls` needs both `cert` and `key` (docs/configuration.md "More load-time checks"). */
function readTls(
  r: YamlReader,
  tls: ProxyValues['tls'],
  at: (path: string) => ReadKey,
  path: (relative: string | null) => string | null,
): Config['tls'] {
  const cert = path(tls.cert);
  const key = path(tls.key);
  if (cert !== null && key !== null) return { cert, key };
  if (cert !== null)
    r.issue(at('tls.cert').field, '`tls.cert` is set but `tls.key` is not: HTTPS needs both');
  if (key !== null) r.issue(at('tls.key').field, '`tls.key` is set but `tls.cert` is not: HTTPS needs both');
  return null;
}

/** Node refuses a server whose headersTimeout exceeds its requestTimeout. */
function checkTimeouts(r: YamlReader, at: (path: string) => ReadKey, limits: ProxyValues['limits']): void {
  const headers = at('limits.headers_timeout_ms');
  const request = at('limits.request_timeout_ms');
  const { headers_timeout_ms: headersMs, request_timeout_ms: requestMs } = limits;
  if (!headers.valid || !request.valid || headersMs <= requestMs) return;
  // Point at what the user wrote.
  const field = headers.field.fromFile || !request.field.fromFile ? headers.field : request.field;
  r.issue(
    field,
    `\`limits.headers_timeout_ms\` (${headersMs}) must not exceed \`limits.request_timeout_ms\` (${requestMs})`,
  );
}

// ---------------------------------------------------------------------------------------------
// The loop check (docs/configuration.md "More load-time checks")

interface LoopCandidate {
  readonly key: string;
  readonly value: HostPort | null;
  readonly advice: string;
}

/** `host:port`, IPv6 bracketed. */
function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** Refuses an upstream, voice upstream or admin listener that is the main listener itself. */
function checkLoops(
  r: YamlReader,
  at: (path: string) => ReadKey,
  own: HostPort,
  localAddresses: readonly string[],
  candidates: readonly LoopCandidate[],
): void {
  const listen = at('listen');
  if (!listen.valid) return;
  for (const { key, value, advice } of candidates) {
    const candidate = at(key);
    if (value === null || !candidate.valid) continue;
    // A second listener (admin.listen) clashes either way round: one of the two may be the wildcard.
    const loops =
      loopsBack({ listen: own, target: value, localAddresses }) ||
      (key === 'admin.listen' && loopsBack({ listen: value, target: own, localAddresses }));
    if (!loops) continue;
    // Point at what the user wrote: the candidate when it is in the file, else `listen`.
    const field = candidate.field.fromFile || !listen.field.fromFile ? candidate.field : listen.field;
    r.issue(
      field,
      `\`${key}\` (${formatHostPort(value)}) reaches this proxy's own listener \`listen\` (${formatHostPort(own)}): ${advice}`,
    );
  }
}
