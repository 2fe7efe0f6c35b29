/**
 * A resolved `Config` with docs/configuration.md's defaults, built directly (no YAML), plus small builders for the
 * compiled pieces tests put into it: templates, conditions, items. Throws on a malformed test input so a
 * typo in a test fails loudly instead of matching nothing.
 */
import type {
  Config,
  MqttItem,
  MqttMode,
  Origin,
  RewriteRule,
  ServerTimeItem,
  Template,
  TimeZoneSetting,
  WebsocketItem,
} from '../../src/config/types.js';
import { parseTemplate } from '../../src/config/template.js';
import type { DeviceFacts, RequestFacts } from '../../src/device/types.js';
import type { FirmwareDecision } from '../../src/firmware/types.js';
import { parseCidr } from '../../src/match/cidr.js';
import { compileGlob } from '../../src/match/glob.js';
import { normalizeMac } from '../../src/match/mac.js';
import type { Cidr, Condition } from '../../src/match/types.js';
import { parseVersionRange } from '../../src/match/version.js';
import type { RuleContext } from '../../src/rewrite/types.js';

/** The defaults of docs/configuration.md "The file", resolved; `overrides` replace whole top-level keys. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const defaults: Config = {
    file: '/etc/xiaozhi-ota-proxy/proxy.yaml',
    hash: '0'.repeat(64),
    listen: { host: '0.0.0.0', port: 8003 },
    upstream: {
      target: { scheme: 'http', host: '127.0.0.1', port: 8002, href: 'http://127.0.0.1:8002' },
      timeoutMs: 8000,
      maxBodyBytes: 262144,
    },
    otaPath: '/xiaozhi/ota/',
    publicUrl: 'auto',
    trustedProxies: cidrs('127.0.0.0/8', '::1/128'),
    rewrite: [],
    websocket: null,
    mqtt: [{ when: {}, mode: 'keep' }],
    serverTime: [{ when: {}, zone: { kind: 'upstream' } }],
    firmware: { dir: null, upstreamOffers: 'keep', requireToken: false },
    fallback: { enabled: true, rememberDevices: 10000 },
    breaker: { failures: 5, cooldownMs: 10000 },
    limits: { deviceBodyBytes: 65536, headersTimeoutMs: 10000, requestTimeoutMs: 30000 },
    passthrough: { maxConcurrent: 64 },
    voiceProxy: { path: '/xiaozhi/v1/', upstream: null },
    tls: null,
    admin: { token: null, listen: null, exchanges: 200 },
    fleet: {
      enabled: false,
      store: { kind: 'memory' },
      tokenSecret: null,
      flushMs: 1000,
      syncMs: 5000,
      maxPending: 100000,
      maxDevices: 1000000,
      maxFailedAttempts: 3,
      silentAfterDownloadMinutes: 30,
      attemptTimeoutHours: 24,
      halt: { minFailedDevices: 3, failureRate: 0.2 },
      forgetAfterDays: 365,
    },
    shutdownGraceMs: 10000,
    log: { level: 'info', pretty: 'auto' },
  };
  return { ...defaults, ...overrides };
}

/** A compiled template; throws when the text is not one. */
export function template(text: string): Template {
  const parsed = parseTemplate(text);
  if (typeof parsed === 'string') throw new Error(`bad test template ${JSON.stringify(text)}: ${parsed}`);
  return parsed;
}

/** Compiled CIDR blocks; throws on a bad one. */
export function cidrs(...texts: string[]): Cidr[] {
  return texts.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new Error(`bad test CIDR ${JSON.stringify(text)}`);
    return cidr;
  });
}

/** A `when:` block written as in the YAML (each key a list of strings), compiled. */
export interface WhenSpec {
  readonly source?: readonly string[];
  readonly host?: readonly string[];
  readonly board?: readonly string[];
  readonly devices?: readonly string[];
  readonly version?: readonly string[];
}

export function when(spec: WhenSpec = {}): Condition {
  const cond: { -readonly [K in keyof Condition]?: Exclude<Condition[K], undefined> } = {};
  if (spec.source !== undefined) cond.source = cidrs(...spec.source);
  if (spec.host !== undefined) cond.host = spec.host.map(compileGlob);
  if (spec.board !== undefined) cond.board = spec.board.map(compileGlob);
  if (spec.devices !== undefined) {
    cond.devices = spec.devices.map((mac) => {
      const normal = normalizeMac(mac);
      if (normal === null) throw new Error(`bad test MAC ${JSON.stringify(mac)}`);
      return normal;
    });
  }
  if (spec.version !== undefined) {
    cond.version = spec.version.map((text) => {
      const range = parseVersionRange(text);
      if (typeof range === 'string')
        throw new Error(`bad test version range ${JSON.stringify(text)}: ${range}`);
      return range;
    });
  }
  return cond;
}

export function rewriteRule(from: string, to: string, spec?: WhenSpec): RewriteRule {
  return { from, to: template(to), when: when(spec) };
}

export function websocketItem(
  url: string,
  { token = null, ...spec }: WhenSpec & { token?: string | null } = {},
): WebsocketItem {
  return { url: template(url), token, when: when(spec) };
}

export function mqttItem(mode: MqttMode, spec?: WhenSpec): MqttItem {
  return { mode, when: when(spec) };
}

export function serverTimeItem(zone: TimeZoneSetting, spec?: WhenSpec): ServerTimeItem {
  return { zone, when: when(spec) };
}

/** The device of the captures: bread-compact-wifi 1.6.0 on an ESP32-S3 (upstream-captures/README.md). */
export function testDevice(overrides: Partial<DeviceFacts> = {}): DeviceFacts {
  return {
    id: 'aa:bb:cc:dd:ee:01',
    clientId: 'e4f1c2a8-3b6d-4f7e-9a15-2c8d7b6e5f40',
    build: 'bread-compact-wifi',
    boardType: 'bread-compact-wifi',
    version: '1.6.0',
    chip: 'esp32s3',
    runningSlot: 'ota_0',
    slotSizes: { ota0: 4128768, ota1: 4128768 },
    legacy: false,
    ...overrides,
  };
}

/** A device on the LAN reaching the proxy directly at 192.168.1.10:8003 over plain HTTP. */
export function testRequest(overrides: Partial<RequestFacts> = {}): RequestFacts {
  const origin: Origin = { scheme: 'http', host: '192.168.1.10', port: 8003 };
  return {
    address: '192.168.1.23',
    peer: '192.168.1.23',
    trustedPeer: false,
    host: '192.168.1.10',
    origin,
    ...overrides,
  };
}

const NO_OFFER: FirmwareDecision = { kind: 'none', reason: 'no-catalog', detail: 'no firmware.dir' };

/** A rule context with the defaults above and a fixed clock (2026-11-21T22:31:09.823Z, the captures' day). */
export function testContext(overrides: Partial<RuleContext> = {}): RuleContext {
  return {
    config: testConfig(),
    device: testDevice(),
    request: testRequest(),
    now: 1795300269823,
    offer: NO_OFFER,
    ...overrides,
  };
}
