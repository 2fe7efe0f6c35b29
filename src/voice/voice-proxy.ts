/**
 * Carries the device WebSocket (`ws://…/xiaozhi/v1/`) through the proxy's own port to the real voice
 * server, with http-proxy's WebSocket support: one forwarded port for OTA and voice (issue 5).
 * After the 101 the bytes flow both ways untouched (text, binary Opus frames, close frames), with
 * backpressure; this module only observes them for counting and for its session log.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import HttpProxy from 'http-proxy';
import type { Logger } from 'pino';
import { FrameScanner } from './frame-scanner.js';
import { writeRawReply, type RawReplyOptions } from '../http/raw-reply.js';

/** Counters for /metrics. Every handled upgrade ends in exactly one of `opened` or `upgradeFailures`. */
export interface VoiceStats {
  /** Sessions past the 101 whose sockets are not both closed yet. */
  readonly open: number;
  readonly opened: number;
  readonly closed: number;
  /** Bytes after the 101, device → upstream (WebSocket framing included). */
  readonly bytesToUpstream: number;
  /** Bytes after the 101, upstream → device (WebSocket framing included). */
  readonly bytesToDevice: number;
  /** Upgrades that got no session: refused, unreachable, timed out, rejected, or left by the device. */
  readonly upgradeFailures: number;
}

export interface VoiceUpgradeOptions {
  /** The voice server, `ws://host:port` or `wss://host:port` (config `voice_proxy.upstream.href`). */
  readonly target: string;
  /** The device's address as the proxy resolved it (trusted proxies applied); sent as X-Real-IP / X-Forwarded-For. */
  readonly clientAddress: string;
  /** Told when this upgrade's session opens (the 101) and when it closes; never throws into the proxy. */
  readonly onSession?: (phase: 'open' | 'close') => void;
}

export interface VoiceProxy {
  /** Takes over an upgrade request's socket: proxies it, or answers it with an HTTP failure. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, opts: VoiceUpgradeOptions): void;
  stats(): VoiceStats;
  /** Refuses new upgrades (503), waits up to `graceMs` for sessions to end, then closes the rest; resolves when every socket is gone. */
  shutdown(graceMs: number): Promise<void>;
}

export interface VoiceProxyOptions {
  readonly logger: Logger;
  /** Limit for the upstream's answer to the upgrade (the device itself waits 10 s: esp-ml307 web_socket.cc). */
  readonly upgradeTimeoutMs?: number;
  /** After one side ended or closed, how long the other side gets to close before it is destroyed. */
  readonly closeLingerMs?: number;
  /** Cap on the body of a non-101 upstream answer passed on to the device. */
  readonly maxAnswerBodyBytes?: number;
}

type Side = 'device' | 'upstream';

/** connecting: waiting for the upstream's answer; answering: reading a non-101 answer; open: piping; failed: no session. */
type Phase = 'connecting' | 'answering' | 'open' | 'failed';

interface Session {
  readonly id: number;
  readonly client: Duplex;
  readonly log: Logger;
  readonly onSession: ((phase: 'open' | 'close') => void) | undefined;
  phase: Phase;
  /** performance.now() at the 101, for the session's duration. */
  openedAt: number;
  proxyReq: ClientRequest | null;
  /** Our 'response' listener on `proxyReq`, the one kept when http-proxy's is removed. */
  answerListener: ((res: IncomingMessage) => void) | null;
  upstream: Duplex | null;
  upgradeTimer: NodeJS.Timeout | undefined;
  lingerTimer: NodeJS.Timeout | undefined;
  clientClosed: boolean;
  upstreamClosed: boolean;
  bytesToUpstream: number;
  bytesToDevice: number;
  /** The first close frame on the wire and who sent it (RFC 6455 §7.1.2 close handshake). */
  firstCloseFrame: { readonly by: Side; readonly code: number | null } | null;
  /** The first side whose connection ended (FIN, reset or close). */
  firstEnded: Side | null;
  /** Still running, with no close started by either side, when the shutdown grace ran out. */
  closedByShutdown: boolean;
}

/** Creates the voice proxy; the HTTP server calls `handleUpgrade` for upgrades on `voice_proxy.path`. */
export function createVoiceProxy({
  logger,
  upgradeTimeoutMs = 10_000,
  closeLingerMs = 3_000,
  maxAnswerBodyBytes = 65_536,
}: VoiceProxyOptions): VoiceProxy {
  // No pooled agent for upgrades: each session owns its upstream connection (docs/configuration.md voice_proxy).
  const proxy = HttpProxy.createProxyServer({ ws: true, agent: false, xfwd: false, prependPath: false });
  const connectingByClient = new WeakMap<Duplex, Session>();
  const sessionByUpstream = new WeakMap<Duplex, Session>();
  /** Sessions from handleUpgrade until their client socket (and upstream socket, once open) closed. */
  const sessions = new Set<Session>();
  /** Every socket this module is responsible for; shutdown resolves when it is empty. */
  const live = new Set<Duplex>();
  let drainWaiters: Array<() => void> = [];
  let accepting = true;
  let shutdownPromise: Promise<void> | null = null;
  let nextId = 1;
  const counters = {
    open: 0,
    opened: 0,
    closed: 0,
    bytesToUpstream: 0,
    bytesToDevice: 0,
    upgradeFailures: 0,
  };

  // Per-call callbacks receive every ws error; this listener only keeps http-proxy's default
  // listener from throwing should one ever reach the server (lib/http-proxy/index.js onError).
  proxy.on('error', (err) => logger.error({ err }, 'voice proxy error outside a session'));

  // Fired inside proxy.ws() right after the upstream request is created and before http-proxy adds
  // its own listeners, so ours run first (passes/ws-incoming.js stream).
  proxy.on('proxyReqWs', (proxyReq, _req, socket) => {
    const session = connectingByClient.get(socket);
    if (session === undefined) return;
    session.proxyReq = proxyReq;
    session.answerListener = (res: IncomingMessage) => onAnswer(session, res);
    proxyReq.on('response', session.answerListener);
    proxyReq.on('upgrade', (res: IncomingMessage, upstream: Socket) => onUpgraded(session, res, upstream));
  });

  // Emitted once http-proxy has written the 101 and piped both ways: observing starts here, so no
  // byte is read before the pipes are in place (passes/ws-incoming.js 'upgrade').
  proxy.on('open', (upstream) => {
    const session = sessionByUpstream.get(upstream);
    if (session !== undefined) observe(session);
  });

  function track(socket: Duplex): void {
    live.add(socket);
    socket.once('close', () => {
      live.delete(socket);
      if (live.size === 0) {
        const waiters = drainWaiters;
        drainWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }

  /** Destroys the socket unless it closes by itself within the linger time. */
  function destroyLater(socket: Duplex): void {
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), closeLingerMs);
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * Answers on the raw socket and lets the device read it: the socket keeps draining what the device
   * sends, since closing with unread input would reset the connection and lose the reply.
   */
  function answer(socket: Duplex, status: number, reply: RawReplyOptions): void {
    writeRawReply(socket, status, reply);
    socket.resume();
    destroyLater(socket);
  }

  function handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    { target, clientAddress, onSession }: VoiceUpgradeOptions,
  ): void {
    const address = unmapIpv4(clientAddress);
    // A reset from the device must never crash the process; closing is handled on 'close'.
    socket.on('error', (err: NodeJS.ErrnoException) =>
      logger.debug({ err: { code: err.code, message: err.message } }, 'voice device socket error'),
    );
    if (socket.destroyed) {
      counters.upgradeFailures += 1;
      return;
    }
    if (!accepting) {
      counters.upgradeFailures += 1;
      track(socket);
      logger.info({ client: { address } }, 'voice upgrade refused: shutting down');
      answer(socket, 503, { body: 'shutting down\n' });
      return;
    }
    if (!isWebSocketUpgrade(req)) {
      counters.upgradeFailures += 1;
      track(socket);
      logger.info(
        { client: { address }, method: req.method, upgrade: req.headers.upgrade },
        'voice upgrade refused: not a WebSocket handshake',
      );
      answer(socket, 400, { body: 'expected a WebSocket upgrade\n' });
      return;
    }

    const id = nextId++;
    const session: Session = {
      id,
      client: socket,
      log: logger.child({
        voice: { session: id, path: pathOf(req.url) },
        device: { id: deviceIdOf(req) },
        client: { address },
      }),
      onSession,
      phase: 'connecting',
      openedAt: 0,
      proxyReq: null,
      answerListener: null,
      upstream: null,
      upgradeTimer: undefined,
      lingerTimer: undefined,
      clientClosed: false,
      upstreamClosed: false,
      bytesToUpstream: 0,
      bytesToDevice: 0,
      firstCloseFrame: null,
      firstEnded: null,
      closedByShutdown: false,
    };
    sessions.add(session);
    track(socket);
    socket.once('close', () => onSideClosed(session, 'device'));
    session.upgradeTimer = setTimeout(() => {
      fail(
        session,
        504,
        { body: 'voice upstream timed out\n' },
        'voice upstream did not answer the upgrade in time',
        {},
      );
    }, upgradeTimeoutMs);

    connectingByClient.set(socket, session);
    try {
      proxy.ws(
        req,
        socket,
        head,
        {
          target,
          agent: false,
          // All device headers go on as sent (Authorization, Device-Id, Client-Id, Protocol-Version,
          // Sec-WebSocket-Protocol); the address is the one the proxy resolved, never the device's
          // own claim (the xiaozhi server reads X-Real-IP / X-Forwarded-For: docs/upstream.md).
          headers: { 'x-real-ip': address, 'x-forwarded-for': address },
        },
        (err) => onProxyError(session, err),
      );
    } catch (err) {
      // http.request throws synchronously on arguments it refuses (e.g. a malformed target).
      const { code, message } = err as NodeJS.ErrnoException;
      fail(session, 502, { body: 'voice upstream unavailable\n' }, 'voice upstream request failed to start', {
        err: { code, message },
      });
      return;
    } finally {
      connectingByClient.delete(socket);
    }

    // http-proxy 1.18.1 writes a non-101 answer's raw headers and pipes its body to the device
    // (passes/ws-incoming.js 'response'); ours re-frames it instead (docs/configuration.md voice_proxy), so its
    // listener, added synchronously inside proxy.ws() after the hook, is removed before any I/O.
    const { proxyReq, answerListener } = session;
    if (proxyReq !== null) {
      for (const listener of proxyReq.listeners('response')) {
        if (listener !== answerListener) {
          proxyReq.removeListener('response', listener as (...args: unknown[]) => void);
        }
      }
    } else if (session.phase === 'connecting') {
      fail(
        session,
        502,
        { body: 'voice upstream unavailable\n' },
        'voice proxy could not start the upstream request',
        {},
      );
    }
  }

  function onAnswer(session: Session, res: IncomingMessage): void {
    if (session.phase !== 'connecting') {
      res.destroy();
      return;
    }
    session.phase = 'answering';
    const status = res.statusCode ?? 502;
    const chunks: Buffer[] = [];
    let size = 0;
    const passOn = (): void => {
      if (session.phase !== 'answering') return;
      const contentType = res.headers['content-type'];
      fail(
        session,
        status,
        { contentType, body: Buffer.concat(chunks, size) },
        'voice upstream refused the upgrade',
        { status },
      );
    };
    res.on('data', (chunk: Buffer) => {
      if (session.phase !== 'answering') return;
      const room = maxAnswerBodyBytes - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(room, chunk.length);
      if (size >= maxAnswerBodyBytes) passOn();
    });
    res.on('end', passOn);
    res.on('error', () => undefined);
    res.on('close', () => {
      // Cut off before its end: the answer is incomplete, so it is not passed on as if whole.
      if (session.phase === 'answering' && !res.complete) {
        fail(
          session,
          502,
          { body: 'voice upstream reset\n' },
          'voice upstream reset while answering the upgrade',
          { status },
        );
      }
    });
  }

  function onUpgraded(session: Session, res: IncomingMessage, upstream: Socket): void {
    if (session.phase !== 'connecting' || session.client.destroyed) {
      upstream.destroy();
      return;
    }
    session.phase = 'open';
    session.openedAt = performance.now();
    clearTimeout(session.upgradeTimer);
    session.upstream = upstream;
    sessionByUpstream.set(upstream, session);
    track(upstream);
    upstream.once('end', () => onSideEnded(session, 'upstream'));
    upstream.once('close', () => onSideClosed(session, 'upstream'));
    session.client.once('end', () => onSideEnded(session, 'device'));
    counters.open += 1;
    counters.opened += 1;
    session.log.info({ protocol: res.headers['sec-websocket-protocol'] }, 'voice session opened');
    tell(session, 'open');
  }

  function tell(session: Session, phase: 'open' | 'close'): void {
    try {
      session.onSession?.(phase);
    } catch (err) {
      session.log.error({ err }, 'voice session listener failed');
    }
  }

  /** Counts and scans both directions; chunks are only looked at, never copied or held. */
  function observe(session: Session): void {
    const { client, upstream } = session;
    if (upstream === null) return;
    const fromDevice = new FrameScanner();
    const fromUpstream = new FrameScanner();
    client.on('data', (chunk: Buffer) => {
      session.bytesToUpstream += chunk.length;
      counters.bytesToUpstream += chunk.length;
      if (fromDevice.push(chunk)) {
        session.firstCloseFrame ??= { by: 'device', code: fromDevice.close?.code ?? null };
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      session.bytesToDevice += chunk.length;
      counters.bytesToDevice += chunk.length;
      if (fromUpstream.push(chunk)) {
        session.firstCloseFrame ??= { by: 'upstream', code: fromUpstream.close?.code ?? null };
      }
    });
  }

  function onProxyError(session: Session, err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    switch (session.phase) {
      case 'connecting':
      case 'answering':
        fail(session, 502, { body: 'voice upstream unreachable\n' }, 'voice upstream unreachable', {
          err: { code, message: err.message },
        });
        return;
      case 'open':
        // The upstream socket failed mid-session; http-proxy ends the device socket, 'close' does the rest.
        session.log.debug({ err: { code, message: err.message } }, 'voice upstream socket error');
        return;
      case 'failed':
        return;
      default: {
        const never: never = session.phase;
        throw new Error(`unknown phase ${String(never)}`);
      }
    }
  }

  /** Ends an upgrade that did not become a session; `status` null when the device is already gone. */
  function fail(
    session: Session,
    status: number | null,
    reply: RawReplyOptions,
    message: string,
    fields: Record<string, unknown>,
  ): void {
    if (session.phase === 'open' || session.phase === 'failed') return;
    session.phase = 'failed';
    clearTimeout(session.upgradeTimer);
    session.proxyReq?.destroy();
    counters.upgradeFailures += 1;
    if (status === null) {
      session.log.info(fields, message);
      return;
    }
    session.log.warn({ ...fields, reply: status }, message);
    answer(session.client, status, reply);
  }

  function onSideEnded(session: Session, side: Side): void {
    session.firstEnded ??= side;
    armLinger(session);
  }

  function onSideClosed(session: Session, side: Side): void {
    if (side === 'device') session.clientClosed = true;
    else session.upstreamClosed = true;
    switch (session.phase) {
      case 'connecting':
      case 'answering':
        fail(session, null, {}, 'voice device left before the upgrade completed', {});
        break;
      case 'failed':
        break;
      case 'open': {
        session.firstEnded ??= side;
        // The pipe ends the other side only on a clean end; a reset or destroy must close it too.
        const other = side === 'device' ? session.upstream : session.client;
        if (other !== null && !other.destroyed) other.end();
        armLinger(session);
        break;
      }
      default: {
        const never: never = session.phase;
        throw new Error(`unknown phase ${String(never)}`);
      }
    }
    finishIfClosed(session);
  }

  /** Once one side is gone, the other gets `closeLingerMs` to finish its close before it is destroyed. */
  function armLinger(session: Session): void {
    if (session.lingerTimer !== undefined) return;
    session.lingerTimer = setTimeout(() => {
      session.client.destroy();
      session.upstream?.destroy();
    }, closeLingerMs);
  }

  function finishIfClosed(session: Session): void {
    if (!session.clientClosed) return;
    if (session.phase === 'open' && !session.upstreamClosed) return;
    if (!sessions.delete(session)) return;
    clearTimeout(session.lingerTimer);
    if (session.phase !== 'open') return;
    counters.open -= 1;
    counters.closed += 1;
    const closedBy: Side | 'shutdown' =
      session.firstCloseFrame?.by ??
      (session.closedByShutdown ? 'shutdown' : (session.firstEnded ?? 'device'));
    session.log.info(
      {
        durationMs: Math.round(performance.now() - session.openedAt),
        bytesToUpstream: session.bytesToUpstream,
        bytesToDevice: session.bytesToDevice,
        closedBy,
        closeCode: session.firstCloseFrame?.code ?? null,
        closeFrame: session.firstCloseFrame !== null,
      },
      'voice session closed',
    );
    tell(session, 'close');
  }

  function waitForDrain(timeoutMs: number): Promise<boolean> {
    if (live.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => resolve(false), Math.max(0, timeoutMs))
        : undefined;
      drainWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  function shutdown(graceMs: number): Promise<void> {
    shutdownPromise ??= (async () => {
      accepting = false;
      if (await waitForDrain(graceMs)) return;
      const left = sessions.size;
      for (const session of sessions) {
        if (session.phase === 'open') {
          session.closedByShutdown = session.firstEnded === null && session.firstCloseFrame === null;
        } else {
          fail(session, null, {}, 'voice upgrade abandoned at the end of the shutdown grace', {});
        }
      }
      for (const socket of [...live]) socket.destroy();
      logger.info({ sessions: left }, 'voice sessions closed at the end of the shutdown grace');
      await waitForDrain(Number.POSITIVE_INFINITY);
    })();
    return shutdownPromise;
  }

  return { handleUpgrade, stats: () => ({ ...counters }), shutdown };
}

/** RFC 6455 §4.1: a `GET` with `Upgrade: websocket` (http-proxy would silently destroy anything else). */
function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (
    req.method === 'GET' &&
    typeof req.headers.upgrade === 'string' &&
    req.headers.upgrade.trim().toLowerCase() === 'websocket'
  );
}

/** The path without its query: the query may carry `authorization` (xiaozhi web clients), so it is never logged. */
function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path === '' ? '/' : path;
}

/** The `Device-Id` header, else the `device-id` query parameter (xiaozhi web clients), lowercased. */
function deviceIdOf(req: IncomingMessage): string | null {
  const header = req.headers['device-id'];
  if (typeof header === 'string' && header !== '') return header.toLowerCase().slice(0, 64);
  const query = (req.url ?? '').split('?')[1];
  if (query === undefined) return null;
  const value = new URLSearchParams(query).get('device-id');
  return value === null || value === '' ? null : value.toLowerCase().slice(0, 64);
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, as addresses are compared everywhere else (docs/configuration.md Conditions). */
function unmapIpv4(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match?.[1] ?? address;
}
