/**
 * `createApp(deps)` builds the request and upgrade handlers and never listens (docs/contributing.md §5): routing,
 * the shared runtime state, and one log line per answered OTA exchange.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { CircuitBreaker } from '../fallback/breaker.js';
import { DeviceMemory } from '../fallback/device-memory.js';
import type { Catalog } from '../firmware/types.js';
import { forwardedHeaders, forwardingFacts } from '../gateway/forwarded-headers.js';
import { redactUrl } from '../gateway/redact.js';
import { pathnameOf, routeRequest, type Route } from '../gateway/route.js';
import { unmapAddress } from '../match/cidr.js';
import type { FleetService } from '../fleet/service.js';
import type { VoiceProxy } from '../voice/voice-proxy.js';
import { serveFirmware, type FirmwareDownloadEvent } from './firmware-route.js';
import { writeError } from './framing.js';
import { writeRawReply } from './raw-reply.js';
import { handleOtaCheck } from './ota-check.js';
import { handleOtaGet } from './ota-get.js';
import { createPassthrough } from './passthrough.js';
import { readRequest } from './device-request.js';
import type { OperatorListener, ProxyState } from '../runtime/proxy-state.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { createUpstreamAgents, type UpstreamAgents } from '../upstream/agents.js';
import { exchange } from '../upstream/exchange.js';
import { relayBuffered, relayDownload } from './upstream-relay.js';

export interface AppDeps {
  readonly config: Config;
  /** The live catalog (swapped atomically by the catalog store); `null` without `firmware.dir`. */
  readonly catalog?: () => Catalog | null;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Whether the main listener speaks TLS. */
  readonly tls?: boolean;
  readonly voice?: VoiceProxy | null;
  /** The fleet service when `fleet.enabled`; `null` changes nothing a device sees. */
  readonly fleet?: FleetService | null;
  /** Upstream keep-alive agents; by default made here, with room for `passthrough.max_concurrent`. */
  readonly agents?: UpstreamAgents;
  /**
   * Builds the one listener for the operator routes (/healthz, /readyz, /metrics, /admin/…) from the shared
   * state; src/admin/ provides it. Without it those paths answer 404.
   */
  readonly operator?: (state: ProxyState) => OperatorListener;
  /** Told when a /firmware/ download starts, completes or is aborted (for /metrics). */
  readonly onDownload?: (event: FirmwareDownloadEvent) => void;
}

export interface App {
  /** The main listener's request handler. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** The separate `admin.listen` listener's handler (/metrics, /admin/…, /healthz, /readyz). */
  readonly handleAdmin: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  readonly runtime: ProxyState;
  /** Applies a reloaded configuration (the caller keeps restart-only keys as they were). */
  setConfig(config: Config): void;
  /** Subscribes to every answered OTA exchange (metrics, /admin/exchanges). */
  onExchange(listener: (record: ExchangeRecord) => void): void;
  /** Requests being answered right now. */
  inFlight(): number;
  close(): void;
}

export function createApp({
  config: initial,
  catalog = () => null,
  logger,
  now = Date.now,
  tls = false,
  voice = null,
  fleet = null,
  agents = createUpstreamAgents({ maxSockets: Math.max(256, initial.passthrough.maxConcurrent) }),
  operator,
  onDownload,
}: AppDeps): App {
  let config = initial;
  const listeners: ((record: ExchangeRecord) => void)[] = [];
  const runtime: ProxyState = {
    config: () => config,
    catalog,
    logger,
    agents,
    breaker: new CircuitBreaker({
      failures: initial.breaker.failures,
      cooldownMs: initial.breaker.cooldownMs,
      now,
    }),
    memory: new DeviceMemory(initial.fallback.rememberDevices),
    now,
    tls,
    lastUpstreamOffset: null,
    fleet,
    record(answered) {
      logExchange(logger, answered);
      for (const listener of listeners) listener(answered);
    },
    otaUpstream: {
      // Sent as http/ota-check.ts sends a check; the breaker is not consulted and not told.
      ask: ({ headers, body, facts }) =>
        exchange({
          target: config.upstream.target,
          method: 'POST',
          path: config.otaPath,
          headers: forwardedHeaders(headers.flat(), forwardingFacts(facts, config, tls)),
          body,
          timeoutMs: config.upstream.timeoutMs,
          maxBodyBytes: config.upstream.maxBodyBytes,
          agents,
        }),
    },
  };
  const passthrough = createPassthrough();
  const operatorListener = operator?.(runtime) ?? null;
  let inFlight = 0;

  const dispatch = (listener: 'main' | 'admin') => (req: IncomingMessage, res: ServerResponse) => {
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    const route = routeRequest(req.method ?? 'GET', pathnameOf(req.url), {
      otaPath: config.otaPath,
      catalog: config.firmware.dir !== null,
      adminEnabled: config.admin.token !== null,
      adminListener: config.admin.listen !== null,
      listener,
    });
    serve(route, req, res).catch((error: unknown) => {
      // A handler bug must never take the process down; the device gets a clean failure it retries.
      logger.error({ err: error, route, path: req.url }, 'request handler failed');
      if (!res.headersSent) writeError(req, res, 502, 'proxy error');
      else res.destroy();
    });
  };

  async function serve(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (route) {
      case 'ota-check':
        return handleOtaCheck(req, res, runtime);
      case 'ota-get':
        return handleOtaGet(req, res, runtime);
      case 'ota-other':
        return relayBuffered(req, res, runtime, { upstreamPath: config.otaPath });
      case 'activate':
        return relayBuffered(req, res, runtime, { upstreamPath: `${config.otaPath}activate` });
      case 'upstream-download':
        return relayDownload(req, res, runtime);
      case 'firmware':
        return serveFirmware(req, res, {
          catalog: catalog(),
          logger,
          clientAddress: readRequest(req, config, tls).address,
          ...(onDownload ? { onDownload } : {}),
          fleet: fleet && { service: fleet, requireToken: config.firmware.requireToken, now },
        });
      case 'healthz':
      case 'readyz':
      case 'metrics':
      case 'admin':
        // gateway/route.ts decided this listener answers the path; the operator surface routes within it.
        if (operatorListener === null) return writeError(req, res, 404, 'not found');
        await operatorListener(req, res);
        return;
      case 'not-found':
        return writeError(req, res, 404, 'not found');
      case 'proxy':
        return passthrough.handle(req, res, runtime);
      default:
        return assertNever(route);
    }
  }

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const target = config.voiceProxy.upstream;
    const path = pathnameOf(req.url);
    const onVoicePath =
      path === config.voiceProxy.path ||
      path === config.voiceProxy.path.slice(0, -1) ||
      path.startsWith(config.voiceProxy.path);
    if (voice && target && onVoicePath) {
      const deviceId = req.headers['device-id'];
      voice.handleUpgrade(req, socket, head, {
        target: target.href,
        clientAddress: readRequest(req, config, tls).address,
        // "Online now" and "last voice session" (docs/fleet.md "What the proxy observes"): by the upgrade's Device-Id.
        ...(fleet && typeof deviceId === 'string'
          ? { onSession: (phase) => fleet.observeVoice({ device: deviceId, phase, at: now() }) }
          : {}),
      });
      return;
    }
    writeRawReply(socket, 404, { contentType: 'text/plain; charset=utf-8', body: 'no WebSocket here\n' });
    logger.debug(
      { path, client: unmapAddress(req.socket.remoteAddress ?? '') },
      'upgrade refused: not the voice path',
    );
  };

  return {
    handle: dispatch('main'),
    handleAdmin: dispatch('admin'),
    upgrade,
    runtime,
    setConfig(next) {
      config = next;
      runtime.breaker.configure({ failures: next.breaker.failures, cooldownMs: next.breaker.cooldownMs });
      runtime.memory.resize(next.fallback.rememberDevices);
    },
    onExchange(listener) {
      listeners.push(listener);
    },
    inFlight: () => inFlight,
    close() {
      agents.destroy();
    },
  };
}

/** One line per OTA exchange (issue 2 §6): device, upstream status and latency, rules, repairs — `warn` when repaired or failed. */
function logExchange(logger: Logger, x: ExchangeRecord): void {
  const level = x.outcome === 'failed' || x.outcome === 'fallback' || x.repairs.length > 0 ? 'warn' : 'info';
  logger[level](
    {
      device: x.device,
      client: x.address,
      method: x.method,
      path: redactUrl(x.path),
      upstream: x.upstream,
      outcome: x.outcome,
      status: x.status,
      rules: x.rules,
      ...(x.notes.length > 0 ? { notes: x.notes } : {}),
      ...(x.repairs.length > 0 ? { repairs: x.repairs } : {}),
      ...(x.firmware ? { firmware: x.firmware } : {}),
      ...(x.cause !== undefined ? { err: x.cause } : {}),
    },
    `ota ${x.kind}`,
  );
}

function assertNever(value: never): never {
  throw new Error(`unhandled route ${String(value)}`);
}
