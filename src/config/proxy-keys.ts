/**
 * Every key of `proxy.yaml` with its default, bounds and doc line (docs/configuration.md "The file",
 * "Fleet and hardening amendments"). parse.ts reads the file by these definitions and resolves the
 * result into a Config; json-schema.ts writes them out as schema/proxy.schema.json.
 */
import { TRUSTED_PROXIES, WHEN_SCHEMA } from './conditions.js';
import {
  normalizePath,
  parseHostPort,
  parsePublicUrl,
  parseUpstreamUrl,
  parseVoiceUpstream,
} from './endpoints.js';
import {
  MQTT_SCHEMA,
  readMqtt,
  readRewrite,
  readServerTime,
  readWebsocket,
  REWRITE_SCHEMA,
  SERVER_TIME_SCHEMA,
  WEBSOCKET_SCHEMA,
} from './items.js';
import {
  bool,
  custom,
  int,
  number,
  oneOf,
  orNull,
  parsed,
  scalar,
  section,
  text,
} from './key-definitions.js';
import type { JsonSchema, LeafDef, Values } from './key-definitions.js';
import { keysSchema, schemaDocument } from './json-schema.js';
import type { FleetStoreSetting, Origin } from './types.js';
import type { Converted } from './yaml-source.js';

/** setTimeout fires at once for delays above 2^31−1 ms, so no configured time may exceed it. */
const MAX_TIMER_MS = 2147483647;
/** The device waits 30 s for the OTA reply; the upstream must be done well before (docs/device-contract.md §2). */
const MAX_UPSTREAM_TIMEOUT_MS = 25000;
/** Bodies the proxy holds in memory. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** No device reads more than 8 KiB: a larger upstream reply is never worth parsing (docs/configuration.md "Fleet and hardening amendments"). */
const MAX_UPSTREAM_BODY_BYTES = 1024 * 1024;

const ms = (doc: string, value: number, min = 1): LeafDef<number> =>
  int({ doc, default: value, min, max: MAX_TIMER_MS });

/** `ota_path`, `voice_proxy.path`: normalised to start and end with `/`. */
const urlPath = (doc: string, value: string): LeafDef<string> =>
  parsed({ doc, default: value, expected: 'a URL path such as /xiaozhi/ota/', parse: normalizePath });

/** A file path relative to the config file (parse.ts resolves it); `null` = not set. */
const filePath = (doc: string): LeafDef<string | null> =>
  orNull(text({ doc, default: null, expected: 'null or a path', minLength: 1 }));

/** A time window above 0, fractions allowed (docs/fleet.md: `silent_after_download_minutes: 0.05`). */
const window = (doc: string, value: number): LeafDef<number> =>
  number({ doc, default: value, min: 0, above: 0 });

/** `memory`, `postgres://…` / `postgresql://…`, or a SQLite file path (relative; parse.ts resolves it). */
function parseFleetStore(text: string): Converted<FleetStoreSetting> {
  if (text === 'memory') return { value: { kind: 'memory' } };
  if (/^postgres(ql)?:/i.test(text)) {
    try {
      if (new URL(text).hostname === '') return 'the URL names no host';
      return { value: { kind: 'postgres', url: text } };
    } catch {
      return 'it is not a valid URL';
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return 'only postgres:// URLs are supported';
  return { value: { kind: 'sqlite', path: text } };
}

export const PROXY_KEYS = {
  listen: parsed({
    doc: 'Where devices (or the tunnel/nginx in front) reach the proxy: host:port, or "[::]:8003" for IPv6',
    default: '0.0.0.0:8003',
    expected: 'host:port such as 0.0.0.0:8003 or "[::]:8003"',
    parse: (text) => parseHostPort(text),
  }),
  upstream: section('The unmodified xiaozhi-server', {
    url: parsed({
      doc: 'scheme://host:port of the xiaozhi-server, no path (manager-api 8002, the Python server 8003)',
      default: 'http://127.0.0.1:8002',
      expected: 'an http(s) URL such as http://127.0.0.1:8002',
      parse: parseUpstreamUrl,
    }),
    timeout_ms: int({
      doc: 'The whole upstream exchange of one OTA check, in ms; devices give up after 30 s',
      default: 8000,
      min: 1,
      max: MAX_UPSTREAM_TIMEOUT_MS,
    }),
    max_body_bytes: int({
      doc: 'A longer upstream reply is not parsed (the fallback answers instead)',
      default: 262144,
      min: 1,
      max: MAX_UPSTREAM_BODY_BYTES,
    }),
  }),
  ota_path: urlPath(
    'The OTA path, with or without the trailing slash; also the upstream path',
    '/xiaozhi/ota/',
  ),
  public_url: parsed({
    doc: 'How devices reach the proxy: auto (from each request), or a fixed http(s)://host[:port]',
    default: 'auto',
    expected: '`auto` or an http(s) URL such as https://ota.example.com',
    parse: (text): Converted<'auto' | Origin> => (text === 'auto' ? { value: 'auto' } : parsePublicUrl(text)),
  }),
  trusted_proxies: TRUSTED_PROXIES,
  rewrite: custom({
    doc: 'Prefix rules for every URL the upstream hands out, {from, to, when}; all that match apply',
    default: [],
    read: readRewrite,
    schema: REWRITE_SCHEMA,
  }),
  websocket: custom({
    doc: 'The voice URL devices are told: {url}, or a when: list of them; null leaves the upstream one',
    default: null,
    read: readWebsocket,
    schema: WEBSOCKET_SCHEMA,
  }),
  mqtt: custom({
    doc: "keep or strip the upstream's mqtt section, or a when: list of {when, mode}",
    default: 'keep',
    read: readMqtt,
    schema: MQTT_SCHEMA,
  }),
  server_time: custom({
    doc: 'The clock devices get: {timezone: upstream | <IANA zone>} or {offset_minutes}, or a when: list',
    default: { timezone: 'upstream' },
    read: readServerTime,
    schema: SERVER_TIME_SCHEMA,
  }),
  firmware: section('Firmware offers', {
    dir: filePath('Folder with catalog.yaml and the .bin files, relative to this file; null = no catalog'),
    upstream_offers: oneOf(['keep', 'drop'], {
      doc: 'What happens to an upstream firmware offer when the catalog offers nothing',
      default: 'keep',
    }),
    require_token: bool({
      doc: 'Serve catalog images only to a valid per-device download token (needs fleet.enabled)',
      default: false,
    }),
  }),
  fallback: section('Answering devices when the upstream fails', {
    enabled: bool({ doc: 'Answer devices from memory when the upstream fails', default: true }),
    remember_devices: int({
      doc: 'Devices whose last good websocket/mqtt section is kept (least recently seen dropped first)',
      default: 10000,
      min: 0,
      max: 1_000_000,
    }),
  }),
  breaker: section('Stop asking a failing upstream for a while', {
    failures: int({ doc: 'Consecutive upstream failures that open the breaker', default: 5, min: 1 }),
    cooldown_ms: ms('How long it stays open before one probe request goes upstream (ms)', 10000, 0),
  }),
  limits: section('Request limits', {
    device_body_bytes: int({
      doc: 'Largest OTA/activate request body accepted from a device (413 beyond)',
      default: 65536,
      min: 1,
      max: MAX_BUFFERED_BYTES,
    }),
    headers_timeout_ms: ms(
      "Time a client has for a request's headers (ms); at most request_timeout_ms",
      10000,
    ),
    request_timeout_ms: ms('Time a client has for a whole request (ms)', 30000),
  }),
  passthrough: section('Requests to other upstream paths', {
    max_concurrent: int({
      doc: 'Passthrough requests carried at once; beyond it a framed 503',
      default: 64,
      min: 1,
      max: 100_000,
    }),
  }),
  voice_proxy: section('Carrying the device WebSocket through this port', {
    path: urlPath('WebSocket upgrades on this path are carried to `upstream`', '/xiaozhi/v1/'),
    upstream: orNull(
      parsed({
        doc: 'ws(s)://host:port of the voice server, no path; null = upgrades are not carried',
        default: null,
        expected: 'null or a ws(s) URL such as ws://127.0.0.1:8000',
        parse: parseVoiceUpstream,
      }),
    ),
  }),
  tls: section('HTTPS/WSS on `listen`: both or neither', {
    cert: filePath('PEM certificate, relative to this file; with `key`, the listener speaks HTTPS/WSS'),
    key: filePath('PEM private key, relative to this file'),
  }),
  admin: section('/metrics and /admin', {
    token: orNull(
      text({
        doc: 'Enables /admin/*; clients send Authorization: Bearer <token>; null = off',
        default: null,
        // It travels as a Bearer credential (RFC 6750 §2.1 b64token): anything else no client could send.
        expected: 'null or a token of A-Z a-z 0-9 - . _ ~ + / (and trailing =), as a Bearer token carries',
        pattern: /^[A-Za-z0-9._~+/-]+=*$/,
      }),
    ),
    listen: orNull(
      parsed({
        doc: 'host:port of a separate listener for /metrics and /admin; null = the main port',
        default: null,
        expected: 'null or host:port such as 127.0.0.1:9090',
        parse: (text) => parseHostPort(text),
      }),
    ),
    exchanges: int({
      doc: 'How many recent OTA exchanges /admin/exchanges keeps; 0 = none (none while admin.token is unset)',
      default: 200,
      min: 0,
      max: 100_000,
    }),
  }),
  fleet: section('Devices, update attempts, blocks and halts (docs/fleet.md)', {
    enabled: bool({ doc: 'Track devices and updates; off, devices see no difference', default: false }),
    store: parsed({
      doc: 'memory, a SQLite file (relative to this file), or a postgres:// URL shared by replicas',
      default: 'memory',
      expected: '`memory`, a SQLite file path, or a postgres:// URL',
      parse: parseFleetStore,
    }),
    token_secret: orNull(
      text({
        doc: 'Secret for download tokens; null = created once and kept in the store',
        default: null,
        expected: 'null or a secret of at least 16 characters',
        minLength: 16,
      }),
    ),
    flush_ms: ms('Observations are written behind, in batches, this often (ms)', 1000),
    sync_ms: ms('Blocks, halts and open attempts are refreshed from the store this often (ms)', 5000),
    max_pending: int({
      doc: 'Observations kept while the store is unreachable',
      default: 100000,
      min: 1,
      max: 10_000_000,
    }),
    max_devices: int({
      doc: 'Devices in the inventory (the one seen longest ago is forgotten beyond it)',
      default: 1000000,
      min: 1,
      max: 100_000_000,
    }),
    max_failed_attempts: int({
      doc: 'Counted failures of one entry after which a device is not offered it again',
      default: 3,
      min: 1,
    }),
    silent_after_download_minutes: window(
      'A download followed by no check for this long counts as silent',
      30,
    ),
    attempt_timeout_hours: window('An attempt with no event for this long ends as silent, not counted', 24),
    halt: section('When a rollout halts', {
      min_failed_devices: int({
        doc: 'A rollout halts when at least this many distinct devices failed ...',
        default: 3,
        min: 1,
      }),
      failure_rate: number({
        doc: '... and they are at least this share of the devices that ended',
        default: 0.2,
        min: 0,
        max: 1,
      }),
    }),
    forget_after_days: window('Devices not seen, and ended attempts, older than this are deleted', 365),
  }),
  shutdown_grace_ms: ms('How long a shutdown waits for requests in flight (ms)', 10000, 0),
  log: section('Logging', {
    level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      doc: 'The least severe level written',
      default: 'info',
    }),
    pretty: scalar({
      doc: 'auto = one readable line per record when stdout is a terminal, JSON lines otherwise; or true / false',
      default: 'auto',
      expected: '`auto`, true or false',
      convert: (value): Converted<'auto' | boolean> =>
        value === 'auto' || typeof value === 'boolean' ? { value } : null,
      schema: { anyOf: [{ enum: ['auto'] }, { type: 'boolean' }] },
    }),
  }),
};

/** `proxy.yaml` as read, before parse.ts resolves it into a Config. */
export type ProxyValues = Values<typeof PROXY_KEYS>;

/** The JSON Schema of proxy.yaml (schema/proxy.schema.json), from the same definitions. */
export function proxyJsonSchema(): JsonSchema {
  return schemaDocument({
    title: 'xiaozhi-ota-proxy configuration',
    description:
      'config/proxy.yaml: every key is optional (a key left out keeps its default); unknown keys are errors',
    root: keysSchema(PROXY_KEYS, { nullable: true }),
    definitions: { when: WHEN_SCHEMA },
  });
}
