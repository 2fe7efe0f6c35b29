/**
 * A real voice path for tests: a `ws` WebSocketServer upstream on 127.0.0.1:0, an http(s).Server on
 * 127.0.0.1:0 whose 'upgrade' event hands over to the voice proxy, and `ws` clients playing devices.
 * Every piece owns its teardown and closes its sockets, so a run can never hang (docs/contributing.md §12).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import tls from 'node:tls';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { ClientOptions } from 'ws';
import { createVoiceProxy } from '../../src/voice/voice-proxy.js';
import type { VoiceProxy, VoiceProxyOptions } from '../../src/voice/voice-proxy.js';

const run = promisify(execFile);

/** A self-signed certificate for 127.0.0.1 and localhost, made with the `openssl` CLI. */
export interface TestCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certPath: string;
  readonly keyPath: string;
  remove(): Promise<void>;
}

/** Makes a one-day self-signed certificate in a fresh temporary folder (removed by `remove`). */
export async function makeSelfSignedCert(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'voice-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-days',
      '1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]);
    const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
    return { cert, key, certPath, keyPath, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Log lines written by a logger, parsed. */
export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
}

/** A pino logger at `debug` whose JSON lines are kept in memory. */
export function captureLogs(): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export interface UpstreamConnection {
  readonly ws: WebSocket;
  /** The upgrade request as the upstream received it (headers, url). */
  readonly req: IncomingMessage;
}

export interface WsUpstream {
  /** `ws://127.0.0.1:<port>` — what `voice_proxy.upstream` would hold. */
  readonly url: string;
  readonly port: number;
  readonly connections: UpstreamConnection[];
  /** Resolves with the next connection the upstream accepts. */
  nextConnection(): Promise<UpstreamConnection>;
  /** The upstream listener's open connection count. */
  connectionCount(): Promise<number>;
  close(): Promise<void>;
}

export interface WsUpstreamOptions {
  /** Echo every message back with its type (default true). */
  readonly echo?: boolean;
}

/** A real `ws` WebSocketServer on 127.0.0.1:0 that echoes, and records each connection. */
export async function startWsUpstream({ echo = true }: WsUpstreamOptions = {}): Promise<WsUpstream> {
  const server = http.createServer((_req, res) => {
    res.writeHead(426).end();
  });
  const wss = new WebSocketServer({ server, maxPayload: 16 * 1024 * 1024 });
  const connections: UpstreamConnection[] = [];
  let waiters: Array<(c: UpstreamConnection) => void> = [];
  wss.on('connection', (ws, req) => {
    ws.on('error', () => undefined);
    if (echo) ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    const connection = { ws, req };
    connections.push(connection);
    const pending = waiters;
    waiters = [];
    for (const resolve of pending) resolve(connection);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    connections,
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    connectionCount: () => connectionCount(server),
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface VoiceFront {
  /** `ws://127.0.0.1:<port>` or `wss://…` with TLS. */
  readonly url: string;
  readonly port: number;
  readonly server: http.Server | https.Server;
  /** Client sockets handed to the voice proxy, in order. */
  readonly upgradeSockets: Duplex[];
  /** The listener's open connection count (net.Server getConnections). */
  connectionCount(): Promise<number>;
  close(): Promise<void>;
}

export interface VoiceFrontOptions {
  readonly proxy: VoiceProxy;
  /** The upstream given to handleUpgrade, e.g. `ws://127.0.0.1:8000`. */
  readonly target: string;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Upgrades under this path go to the voice proxy; others are destroyed (default `/xiaozhi/v1/`). */
  readonly path?: string;
  /** The device address passed on; default the socket's peer address. */
  readonly clientAddress?: (req: IncomingMessage) => string;
  /** Listener options, e.g. the real listener's timeouts (limits.*). */
  readonly serverOptions?: http.ServerOptions;
}

/** An http(s).Server on 127.0.0.1:0 wired like the real listener: upgrades on the voice path go to the proxy. */
export async function startVoiceFront({
  proxy,
  target,
  tls,
  path = '/xiaozhi/v1/',
  clientAddress,
  serverOptions = {},
}: VoiceFrontOptions): Promise<VoiceFront> {
  const onRequest = (_req: IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(404, { 'Content-Length': '0' }).end();
  };
  const server =
    tls === undefined
      ? http.createServer(serverOptions, onRequest)
      : https.createServer({ ...serverOptions, cert: tls.cert, key: tls.key }, onRequest);
  const upgradeSockets: Duplex[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!(req.url ?? '').startsWith(path)) {
      socket.destroy();
      return;
    }
    upgradeSockets.push(socket);
    const address = clientAddress?.(req) ?? (socket as net.Socket).remoteAddress ?? '';
    proxy.handleUpgrade(req, socket, head, { target, clientAddress: address });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}`,
    port,
    server,
    upgradeSockets,
    connectionCount: () => connectionCount(server),
    async close() {
      // Upgraded sockets are no longer the server's HTTP connections: destroy them here.
      for (const socket of upgradeSockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface VoiceHarness {
  readonly upstream: WsUpstream;
  readonly front: VoiceFront;
  readonly proxy: VoiceProxy;
  readonly logs: CapturedLogs;
  readonly cert: TestCertificate | null;
  /** Opens a device WebSocket through the proxy and waits for 'open'. */
  connect(path?: string, options?: DeviceOptions): Promise<WebSocket>;
  /** Makes a device WebSocket without waiting (for failures); teardown still closes it. */
  device(path?: string, options?: DeviceOptions): WebSocket;
  close(): Promise<void>;
}

export interface DeviceOptions {
  readonly protocols?: string | string[];
  readonly headers?: Record<string, string>;
  readonly ws?: ClientOptions;
}

export interface VoiceHarnessOptions {
  readonly tls?: boolean;
  readonly upstream?: WsUpstreamOptions;
  /** Override the target (e.g. a closed port); default the started upstream. */
  readonly target?: string;
  readonly proxy?: Omit<VoiceProxyOptions, 'logger'>;
  readonly clientAddress?: (req: IncomingMessage) => string;
  readonly serverOptions?: http.ServerOptions;
}

/** Starts upstream, proxy and listener; `close` tears all of them down. */
export async function startVoiceHarness({
  tls = false,
  upstream: upstreamOptions,
  target,
  proxy: proxyOptions,
  clientAddress,
  serverOptions,
}: VoiceHarnessOptions = {}): Promise<VoiceHarness> {
  const logs = captureLogs();
  const cert = tls ? await makeSelfSignedCert() : null;
  const upstream = await startWsUpstream(upstreamOptions);
  const proxy = createVoiceProxy({ logger: logs.logger, ...proxyOptions });
  const front = await startVoiceFront({
    proxy,
    target: target ?? upstream.url,
    ...(cert === null ? {} : { tls: { cert: cert.cert, key: cert.key } }),
    ...(clientAddress === undefined ? {} : { clientAddress }),
    ...(serverOptions === undefined ? {} : { serverOptions }),
  });
  const devices: WebSocket[] = [];
  const device = (path = '/xiaozhi/v1/', options: DeviceOptions = {}): WebSocket => {
    const ws = new WebSocket(`${front.url}${path}`, options.protocols ?? [], {
      headers: options.headers ?? {},
      ...(cert === null ? {} : { ca: cert.cert }),
      ...options.ws,
    });
    ws.on('error', () => undefined);
    devices.push(ws);
    return ws;
  };
  return {
    upstream,
    front,
    proxy,
    logs,
    cert,
    device,
    async connect(path, options) {
      const ws = device(path, options);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
        ws.once('unexpected-response', (_req, res) =>
          reject(new Error(`unexpected response ${res.statusCode ?? 0}`)),
        );
      });
      return ws;
    },
    async close() {
      for (const ws of devices) ws.terminate();
      await proxy.shutdown(0);
      await front.close();
      await upstream.close();
      await cert?.remove();
    },
  };
}

export interface RawUpgradeOptions {
  readonly path?: string;
  readonly method?: string;
  /** The `Upgrade` header's value (default `websocket`). */
  readonly upgrade?: string;
  readonly headers?: Record<string, string>;
  /** Speak TLS to the listener, trusting this certificate. */
  readonly ca?: Buffer;
}

/** Sends a raw upgrade request and returns every byte the proxy answers until it closes the connection. */
export async function rawUpgrade(
  port: number,
  { path = '/xiaozhi/v1/', method = 'GET', upgrade = 'websocket', headers = {}, ca }: RawUpgradeOptions = {},
): Promise<string> {
  const socket =
    ca === undefined ? net.connect(port, '127.0.0.1') : tls.connect({ port, host: '127.0.0.1', ca });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  try {
    await once(socket, ca === undefined ? 'connect' : 'secureConnect', { signal: AbortSignal.timeout(5000) });
    const lines = [
      `${method} ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Upgrade: ${upgrade}`,
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    await once(socket, 'end', { signal: AbortSignal.timeout(5000) });
  } finally {
    socket.destroy();
  }
  return Buffer.concat(chunks).toString('latin1');
}

/** Splits a raw HTTP response into its status line, header lines and body. */
export function splitRawResponse(raw: string): { statusLine: string; headerLines: string[]; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  return { statusLine, headerLines, body: end === -1 ? '' : raw.slice(end + 4) };
}

/** A WebSocket message with its type. */
export interface Message {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** The next `count` messages on a socket (one listener, so none slips between awaits). */
export function nextMessages(ws: WebSocket, count: number): Promise<Message[]> {
  return new Promise((resolve) => {
    const received: Message[] = [];
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      received.push({ data, isBinary });
      if (received.length < count) return;
      ws.off('message', onMessage);
      resolve(received);
    };
    ws.on('message', onMessage);
  });
}

/** The code and reason a socket's 'close' event reports. */
export async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed');
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString('utf8') };
}

/** A listener's open connection count (net.Server getConnections). */
export function connectionCount(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );
}

/** Polls `check` every few ms until it is true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
