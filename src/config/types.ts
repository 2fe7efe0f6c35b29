/** The validated, resolved configuration (docs/configuration.md). Produced only by `parseConfig`. */
import type { Cidr, Condition } from '../match/types.js';

export interface HostPort {
  /** Without brackets for IPv6 (`::`), as `net.Server.listen` wants it. */
  readonly host: string;
  readonly port: number;
}

/** A scheme, host and port; `host` has IPv6 in brackets and no port. */
export interface Origin {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

/** An http(s) upstream: `scheme://host:port`, no path or query. */
export interface UpstreamTarget extends Origin {
  /** `http://host:port` as written for http.request / http-proxy (default ports included). */
  readonly href: string;
}

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'var'; readonly name: 'host' | 'port' | 'scheme' };

/** A URL template with `{host}`, `{port}`, `{scheme}`; rendered per request (device/template.ts). */
export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

export interface RewriteRule {
  readonly from: string;
  readonly to: Template;
  readonly when: Condition;
}

export interface WebsocketItem {
  readonly when: Condition;
  readonly url: Template;
  /** Only used when the section is created (no upstream section present) or in the fallback. */
  readonly token: string | null;
}

export type MqttMode = 'keep' | 'strip';

export interface MqttItem {
  readonly when: Condition;
  readonly mode: MqttMode;
}

export type TimeZoneSetting =
  | { readonly kind: 'upstream' }
  | { readonly kind: 'zone'; readonly name: string }
  | { readonly kind: 'fixed'; readonly offsetMinutes: number };

export interface ServerTimeItem {
  readonly when: Condition;
  readonly zone: TimeZoneSetting;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** The file it came from (absolute), for messages and reload. */
  readonly file: string;
  /** sha256 (hex) of the file's bytes: /metrics reports which config is loaded. */
  readonly hash: string;
  readonly listen: HostPort;
  readonly upstream: {
    readonly target: UpstreamTarget;
    readonly timeoutMs: number;
    readonly maxBodyBytes: number;
  };
  /** Normalised: starts and ends with `/`. Also the upstream's path. */
  readonly otaPath: string;
  readonly publicUrl: 'auto' | Origin;
  readonly trustedProxies: readonly Cidr[];
  readonly rewrite: readonly RewriteRule[];
  /** `null`: leave the websocket section as the upstream sent it. */
  readonly websocket: readonly WebsocketItem[] | null;
  /** Default `[{ when: {}, mode: 'keep' }]`. */
  readonly mqtt: readonly MqttItem[];
  /** Default `[{ when: {}, zone: { kind: 'upstream' } }]`. */
  readonly serverTime: readonly ServerTimeItem[];
  readonly firmware: {
    /** Absolute folder holding catalog.yaml and the images; `null` = no catalog. */
    readonly dir: string | null;
    readonly upstreamOffers: 'keep' | 'drop';
    /** Only valid download tokens get catalog images (docs/fleet.md "Download tokens"). */
    readonly requireToken: boolean;
  };
  readonly fallback: { readonly enabled: boolean; readonly rememberDevices: number };
  readonly breaker: { readonly failures: number; readonly cooldownMs: number };
  readonly limits: {
    readonly deviceBodyBytes: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
  };
  readonly passthrough: { readonly maxConcurrent: number };
  readonly voiceProxy: {
    /** Normalised like ota_path. */
    readonly path: string;
    /** ws(s)://host:port, no path; `null` = not carried. */
    readonly upstream: (Origin & { readonly wsScheme: 'ws' | 'wss'; readonly href: string }) | null;
  };
  /** Absolute paths; `null` = plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  readonly admin: {
    readonly token: string | null;
    readonly listen: HostPort | null;
    readonly exchanges: number;
  };
  readonly fleet: FleetSettings;
  readonly shutdownGraceMs: number;
  readonly log: { readonly level: LogLevel; readonly pretty: 'auto' | boolean };
}

/** Where the fleet keeps its records (docs/fleet.md "Store"). */
export type FleetStoreSetting =
  | { readonly kind: 'memory' }
  /** Absolute path of the SQLite file. */
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface FleetSettings {
  readonly enabled: boolean;
  readonly store: FleetStoreSetting;
  readonly tokenSecret: string | null;
  readonly flushMs: number;
  readonly syncMs: number;
  readonly maxPending: number;
  readonly maxDevices: number;
  readonly maxFailedAttempts: number;
  readonly silentAfterDownloadMinutes: number;
  readonly attemptTimeoutHours: number;
  readonly halt: { readonly minFailedDevices: number; readonly failureRate: number };
  readonly forgetAfterDays: number;
}
