/**
 * One doctor run: send a firmware-like OTA check to the upstream directly and through the proxy (a running
 * one, or a private in-process instance), connect once to each host the reply sends devices to, and judge
 * everything as the devices would see it. Returns the findings; printing is report-text.ts's job.
 */
import pino from 'pino';
import type { Config } from '../config/types.js';
import type { Env } from '../config/interpolate.js';
import { readDevice } from '../device/identify.js';
import { readRequestFacts } from '../device/request-facts.js';
import { localOffsetMinutes } from '../device/time-zone.js';
import type { ConfigIssue } from '../errors.js';
import { decideOffer } from '../firmware/select.js';
import type { Catalog } from '../firmware/types.js';
import { redactSecrets } from '../gateway/redact.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { DEFAULT_LANGUAGE, type Language } from '../i18n/languages.js';
import { translator, type Translate } from '../i18n/translate.js';
import { firstMatching } from '../match/when.js';
import { matchInputOf } from '../rewrite/match-input.js';
import { createCatalogStore } from '../runtime/catalog-store.js';
import { checkCatalog, catalogProbes } from './check-catalog.js';
import { checkConfig } from './check-config.js';
import { checkFirmware, firmwareProbes } from './check-firmware.js';
import { checkProxyReply } from './check-proxy-reply.js';
import { checkServerTime } from './check-server-time.js';
import { checkTransport, probeKey, transportProbes, type ProbeTarget } from './check-transport.js';
import { checkUpstream } from './check-upstream.js';
import { deviceHostHeader, type DeviceHostChoice } from './device-host.js';
import { countFindings, type Finding, type FindingCounts } from './findings.js';
import { startInProcessProxy } from './in-process-proxy.js';
import { DOCTOR_CHECK_NAME } from '../fleet/doctor-mark.js';
import {
  DEFAULT_PROBE_DEVICE,
  clientIdFor,
  isLegacyVersion,
  probeBody,
  probeRequestBytes,
  type ProbeDevice,
} from './probe-request.js';
import { rawExchange, type RawExchange } from './raw-http.js';
import type { DoctorContext } from './reply-readout.js';
import { createTcpProber, type ProbeResult, type TcpProber } from './tcp-probe.js';

export interface DoctorOptions {
  readonly config: Config;
  /** Variables for `${VAR}` in catalog.yaml. */
  readonly env: Env;
  /** How devices reach the proxy (device-host.ts `chooseDeviceHost`). */
  readonly deviceHost: DeviceHostChoice;
  readonly device?: Partial<ProbeDevice>;
  /** Sent to the proxy as X-Forwarded-For, so `when.source` sees this address (believed when loopback is trusted). */
  readonly deviceIp?: string | null;
  /** A running proxy (`http(s)://host:port`); `null` starts a private in-process instance. */
  readonly proxyUrl?: string | null;
  /** Per OTA exchange; default the config's upstream timeout plus a margin for the proxy's fallback. */
  readonly timeoutMs?: number;
  /** Per TCP connect probe. */
  readonly probeTimeoutMs?: number;
  /** Dials the hosts replies send devices to; tests pass one that stays on loopback. */
  readonly prober?: TcpProber;
  readonly now?: () => number;
  /** This machine's zone (for the `server_time` comparison). */
  readonly localZone?: { readonly name: string; readonly offsetMinutes: (at: number) => number };
  /** The language of the findings' titles, details and fixes; ids, areas and statuses never change. */
  readonly lang?: Language;
}

export interface ExchangeSummary {
  readonly url: string;
  readonly status: number | null;
  readonly ms: number;
  readonly failure: string | null;
  /** The reply body, tokens and passwords redacted. */
  readonly body: string | null;
}

export interface DoctorReport {
  /** No finding failed: nothing here would stop a device. */
  readonly ok: boolean;
  readonly counts: FindingCounts;
  readonly findings: readonly Finding[];
  readonly device: ProbeDevice & { readonly clientId: string };
  /** The `Host` doctor sent to the proxy: how devices name it. */
  readonly deviceHost: string;
  readonly upstream: ExchangeSummary;
  readonly proxy: ExchangeSummary & { readonly mode: 'in-process' | 'running' };
  /** Every TCP connect doctor made, once per host and port. */
  readonly probes: readonly {
    readonly host: string;
    readonly port: number;
    readonly result: ProbeResult['kind'];
  }[];
}

export async function runDoctor({
  config,
  env,
  deviceHost: choice,
  device: deviceOverrides = {},
  deviceIp = null,
  proxyUrl = null,
  timeoutMs = Math.min(config.upstream.timeoutMs + 5000, 30_000),
  probeTimeoutMs = 3000,
  prober = createTcpProber({ timeoutMs: probeTimeoutMs }),
  now = Date.now,
  localZone = { name: Intl.DateTimeFormat().resolvedOptions().timeZone, offsetMinutes: localOffsetMinutes },
  lang = DEFAULT_LANGUAGE,
}: DoctorOptions): Promise<DoctorReport> {
  const t = translator(lang);
  const device: ProbeDevice = { ...DEFAULT_PROBE_DEVICE, ...deviceOverrides };
  const hostHeader = deviceHostHeader(choice, config);
  const tls = config.tls !== null;
  const requestFacts = readRequestFacts({
    peer: deviceIp ?? '127.0.0.1',
    headers: { host: hostHeader },
    tls,
    config,
  });
  const ctx: DoctorContext = {
    config,
    deviceHost: choice.host,
    deviceOrigin: requestFacts.origin,
    deviceVersion: device.version,
    now: now(),
    t,
  };

  const { catalog, load } = await loadCatalog(config, env);

  // The upstream, asked directly with the Host the proxy would send.
  const { target } = config.upstream;
  const upstreamHost =
    target.port === (target.scheme === 'https' ? 443 : 80) ? target.host : `${target.host}:${target.port}`;
  const upstreamResult = await rawExchange({
    host: target.host,
    port: target.port,
    tls: target.scheme === 'https',
    bytes: probeRequestBytes({ device, host: upstreamHost, path: config.otaPath }),
    timeoutMs: config.upstream.timeoutMs,
    maxBytes: config.upstream.maxBodyBytes + 64 * 1024,
  });
  const upstream = checkUpstream(config, upstreamResult, t);

  // The proxy, asked as a device asks it: the Host devices use, so templates render for them.
  // Marked as doctor's: the fleet decides it like a device's check and never records it (docs/fleet.md "Principles").
  const extraHeaders: [string, string][] = [
    ...(deviceIp === null ? [] : [['X-Forwarded-For', deviceIp] as [string, string]]),
    [DOCTOR_CHECK_NAME, '1'],
  ];
  const proxyBytes = probeRequestBytes({ device, host: hostHeader, path: config.otaPath, extraHeaders });
  const asked = await askProxy({
    proxyUrl,
    config,
    catalog,
    now,
    bytes: proxyBytes,
    timeoutMs,
    hostName: choice.host,
    t,
  });
  const proxy = checkProxyReply(asked.result, { where: asked.where, record: asked.record, t });
  const reply = proxy.reply?.status === 200 && proxy.reply.shape === 'sections' ? proxy.reply.body : null;
  const upstreamBody = upstream.reply?.shape === 'sections' ? upstream.reply.body : null;

  // What the config resolves to for this device, as the proxy resolves it.
  const deviceFacts = readDevice(
    lowerHeaders(device, hostHeader),
    probeBody(device, clientIdFor(device.deviceId)),
  );
  const input = matchInputOf({ device: deviceFacts, request: requestFacts });
  const mqttMode = firstMatching(config.mqtt, input)?.mode ?? 'keep';
  const websocketItem = config.websocket !== null && firstMatching(config.websocket, input) !== null;
  const serverTimeItem = firstMatching(config.serverTime, input);
  const decision = decideOffer({
    catalog,
    device: deviceFacts,
    origin: requestFacts.origin,
    publicUrl: config.publicUrl,
  });

  const transportInput = { ctx, upstream: upstreamBody, reply, mqttMode, websocketItem };
  const firmwareInput = {
    ctx,
    upstream: upstreamBody,
    reply,
    decision,
    catalog,
    inProcess: proxyUrl === null,
  };
  const catalogInput = { ctx, load, catalog };

  // One connect per host:port; the upstream itself was reached above and is never dialled again.
  const skip = new Set([probeKey({ host: target.host, port: target.port })]);
  const targets = [
    ...transportProbes(transportInput),
    ...firmwareProbes(firmwareInput),
    ...catalogProbes(catalogInput),
  ];
  const probes = await probeAll(targets, prober, skip);
  if (upstreamResult.kind === 'response')
    probes.set(probeKey({ host: target.host, port: target.port }), {
      kind: 'open',
      ms: Math.round(upstreamResult.ms),
    });

  const findings: Finding[] = [
    ...checkConfig(ctx, choice),
    ...upstream.findings,
    ...proxy.findings,
    ...checkTransport(transportInput, probes),
    ...checkServerTime({
      upstreamText: upstream.reply?.text ?? null,
      upstream: upstreamBody,
      reply,
      setting: serverTimeItem?.zone ?? null,
      now: ctx.now,
      localOffsetMinutes: localZone.offsetMinutes(ctx.now),
      localZone: localZone.name,
      t,
    }),
    ...checkFirmware(firmwareInput, probes),
    ...checkCatalog(catalogInput, probes),
  ];
  const counts = countFindings(findings);
  return {
    ok: counts.fail === 0,
    counts,
    findings,
    device: { ...device, clientId: clientIdFor(device.deviceId) },
    deviceHost: hostHeader,
    upstream: summarise(`${target.href}${config.otaPath}`, upstreamResult),
    proxy: { ...summarise(asked.url, asked.result), mode: proxyUrl === null ? 'in-process' : 'running' },
    probes: prober.dialled().map((key) => {
      const at = key.lastIndexOf(':');
      return {
        host: key.slice(0, at),
        port: Number(key.slice(at + 1)),
        result: probes.get(key)?.kind ?? 'timeout',
      };
    }),
  };
}

async function loadCatalog(
  config: Config,
  env: Env,
): Promise<{ catalog: Catalog | null; load: { ok: boolean; issues: readonly ConfigIssue[] } | null }> {
  const dir = config.firmware.dir;
  if (dir === null) return { catalog: null, load: null };
  const store = createCatalogStore({ dir, env, logger: pino({ level: 'silent' }) });
  try {
    const load = await store.load();
    return { catalog: store.current(), load };
  } finally {
    store.close();
  }
}

async function askProxy({
  proxyUrl,
  config,
  catalog,
  now,
  bytes,
  timeoutMs,
  hostName,
  t,
}: {
  proxyUrl: string | null;
  config: Config;
  catalog: Catalog | null;
  now: () => number;
  bytes: Buffer;
  timeoutMs: number;
  hostName: string;
  t: Translate;
}): Promise<{ result: RawExchange; where: string; url: string; record: ExchangeRecord | null }> {
  if (proxyUrl !== null) {
    const url = new URL(proxyUrl);
    const secure = url.protocol === 'https:';
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    const result = await rawExchange({
      host: url.hostname,
      port,
      tls: secure,
      // The certificate is for the name devices use, which doctor may not be dialling: checked by devices, not here.
      verify: false,
      ...(/^[\d.]+$|:/.test(hostName) ? {} : { servername: hostName }),
      bytes,
      timeoutMs,
    });
    return {
      result,
      where: t('doctor.where.running', { url: `${url.protocol}//${url.host}${config.otaPath}` }),
      url: `${url.protocol}//${url.host}${config.otaPath}`,
      record: null,
    };
  }
  const instance = await startInProcessProxy({ config, catalog, now });
  try {
    const result = await rawExchange({ host: instance.host, port: instance.port, bytes, timeoutMs });
    const url = `http://${instance.host}:${instance.port}${config.otaPath}`;
    return {
      result,
      where: t('doctor.where.in-process', { url }),
      url: `${url} (in-process)`,
      record: instance.lastExchange(),
    };
  } finally {
    await instance.close();
  }
}

async function probeAll(
  targets: readonly ProbeTarget[],
  prober: TcpProber,
  skip: ReadonlySet<string>,
): Promise<Map<string, ProbeResult>> {
  const out = new Map<string, ProbeResult>();
  const unique = new Map<string, ProbeTarget>();
  for (const t of targets) if (!skip.has(probeKey(t))) unique.set(probeKey(t), t);
  await Promise.all(
    [...unique].map(async ([key, t]) => {
      out.set(key, await prober.probe(t.host, t.port));
    }),
  );
  return out;
}

function lowerHeaders(device: ProbeDevice, host: string): Record<string, string> {
  return {
    host,
    'user-agent': `${device.board}/${device.version}`,
    'device-id': device.deviceId,
    'client-id': clientIdFor(device.deviceId),
    ...(isLegacyVersion(device.version) ? {} : { 'activation-version': '1' }),
  };
}

function summarise(url: string, result: RawExchange): ExchangeSummary {
  if (result.kind === 'failure')
    return { url, status: null, ms: result.ms, failure: result.failure, body: null };
  return {
    url,
    status: result.response.status,
    ms: result.ms,
    failure: null,
    body: redactSecrets(result.response.body.toString('utf8')),
  };
}
