/**
 * Replies the upstream makes that devices read but the proxy does not rewrite: `POST <ota_path>activate`
 * and the upstream's firmware download routes. Status and body pass through; the framing is the proxy's
 * own (Content-Length always, never chunked: the Java upstream's replies arrive chunked).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { forwardedHeaders } from '../gateway/forwarded-headers.js';
import { classifyUpstreamError, failureStatus } from '../gateway/upstream-failure.js';
import { readDevice } from '../device/identify.js';
import { flatHeaders, readRequest } from './device-request.js';
import { deviceHeaders, writeDeviceReply, writeError } from './framing.js';
import { forwardingFacts } from './ota-check.js';
import { readDeviceBody } from './read-body.js';
import { exchangeRecord } from '../gateway/exchange-record.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import { exchange } from './upstream-client.js';

/** A download without Content-Length is buffered up to this much to frame it (CONFIG.md). */
const MAX_BUFFERED_DOWNLOAD = 16 * 1024 * 1024;
/** Downloads and other paths time out after 30 s without progress (CONFIG.md "Framing and paths"). */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * `POST <ota_path>activate` (200 done, 202 pending, anything else a failure the device retries,
 * device-contract.md §4), and other methods on the OTA path: buffered, status and body unchanged.
 */
export async function relayBuffered(
  req: IncomingMessage,
  res: ServerResponse,
  rt: ProxyState,
  { upstreamPath }: { upstreamPath: string },
): Promise<void> {
  const config = rt.config();
  // Read before the body: the socket's addresses are gone once a client that went away is cleaned up.
  const request = readRequest(req, config, rt.tls);
  const body = await readDeviceBody(req, config.limits.deviceBodyBytes);
  if (body.kind === 'aborted') return;
  const device = readDevice(flatHeaders(req), body.kind === 'ok' ? body.bytes : Buffer.alloc(0));
  const head = { kind: 'activate' as const, at: rt.now(), address: request.address, device };
  if (body.kind === 'too-large') {
    writeError(req, res, 413, `request body over ${config.limits.deviceBodyBytes} bytes`, { close: true });
    rt.record(exchangeRecord(req, head, { outcome: 'rejected', status: 413 }));
    return;
  }
  const result = await exchange({
    target: config.upstream.target,
    method: req.method ?? 'POST',
    path: `${upstreamPath}${queryOf(req.url)}`,
    headers: forwardedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls)),
    body: body.bytes.length > 0 || req.method === 'POST' ? body.bytes : null,
    timeoutMs: config.upstream.timeoutMs,
    maxBodyBytes: config.upstream.maxBodyBytes,
    agents: rt.agents,
  });
  if (result.kind === 'failure') {
    const status = failureStatus(result.failure);
    writeError(req, res, status, 'upstream OTA server failed');
    rt.record(
      exchangeRecord(req, head, {
        upstream: { status: null, ms: result.ms, failure: result.failure },
        outcome: 'failed',
        status,
        cause: result.cause,
      }),
    );
    return;
  }
  writeDeviceReply(req, res, result.status, {
    contentType: result.headers['content-type'],
    body: result.body,
  });
  rt.record(
    exchangeRecord(req, head, {
      upstream: { status: result.status, ms: result.ms, failure: null },
      outcome: 'passthrough',
      status: result.status,
    }),
  );
}

/** The upstream's firmware downloads (`/xiaozhi/ota/download/…`, `/xiaozhi/otaMag/download/…`), streamed. */
export function relayDownload(req: IncomingMessage, res: ServerResponse, rt: ProxyState): void {
  const config = rt.config();
  const request = readRequest(req, config, rt.tls);
  const { target } = config.upstream;
  const transport = target.scheme === 'https' ? https : http;
  let sent = 0;
  const log = rt.logger.child({ download: { client: request.address, path: req.url } });
  const upstreamReq = transport.request({
    host: target.host.replace(/^\[|\]$/g, ''),
    port: target.port,
    method: req.method === 'HEAD' ? 'HEAD' : 'GET',
    path: req.url,
    headers: forwardedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls)),
    agent: target.scheme === 'https' ? rt.agents.https : rt.agents.http,
  });
  let failed = false;
  let clientGone = false;
  // Once only: an error is often followed by a close, and a second call must not cut the first 502 short.
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    upstreamReq.destroy();
    if (clientGone) {
      log.info({ bytes: sent }, 'upstream download abandoned: the client went away');
      return;
    }
    const failure = classifyUpstreamError(error);
    if (!res.headersSent) writeError(req, res, failureStatus(failure), 'upstream download failed');
    else res.destroy();
    log.warn({ failure, err: error, bytes: sent }, 'upstream download failed');
  };
  upstreamReq.setTimeout(IDLE_TIMEOUT_MS, () =>
    upstreamReq.destroy(Object.assign(new Error('no progress for 30 s'), { code: 'ETIMEDOUT' })),
  );
  upstreamReq.on('error', fail);
  // A 101 nobody asked for, or a close before any response: Node emits no error for either.
  let responded = false;
  upstreamReq.on('upgrade', (_res, socket) => {
    socket.destroy();
    fail(
      Object.assign(new Error('the upstream switched protocols unasked'), { code: 'HPE_UNEXPECTED_UPGRADE' }),
    );
  });
  upstreamReq.on('close', () => {
    if (!responded)
      fail(Object.assign(new Error('the upstream closed without a reply'), { code: 'ECONNRESET' }));
  });
  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    upstreamReq.destroy();
  });
  upstreamReq.on('response', (upstreamRes) => {
    responded = true;
    const status = upstreamRes.statusCode ?? 502;
    const contentType = upstreamRes.headers['content-type'];
    const declared = upstreamRes.headers['content-length'];
    const encoding = (upstreamRes.headers['content-encoding'] ?? 'identity').toLowerCase();
    upstreamRes.on('error', fail);
    if (declared !== undefined && /^\d+$/.test(declared) && encoding === 'identity') {
      res.writeHead(status, deviceHeaders(req, { contentType, contentLength: Number(declared) }));
      upstreamRes.on('data', (chunk: Buffer) => (sent += chunk.length));
      pipeline(upstreamRes, res).then(
        () => log.info({ status, bytes: sent }, 'upstream download relayed'),
        (error: unknown) => fail(error),
      );
      return;
    }
    bufferBody(upstreamRes, encoding).then(
      (body) => {
        sent = body.length;
        writeDeviceReply(req, res, status, { contentType, body });
        log.info({ status, bytes: sent }, 'upstream download relayed (buffered to frame it)');
      },
      (error: unknown) => fail(error),
    );
  });
  upstreamReq.end();
}

async function bufferBody(res: IncomingMessage, encoding: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BUFFERED_DOWNLOAD)
      throw Object.assign(new Error('download over 16 MiB without Content-Length'), {
        code: 'ERR_TOO_LARGE',
      });
    chunks.push(chunk);
  }
  if (!res.complete) throw Object.assign(new Error('upstream download ended early'), { code: 'ECONNRESET' });
  const raw = Buffer.concat(chunks, size);
  const options = { maxOutputLength: MAX_BUFFERED_DOWNLOAD };
  switch (encoding) {
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw, options);
    case 'deflate':
      return zlib.inflateSync(raw, options);
    case 'br':
      return zlib.brotliDecompressSync(raw, options);
    default:
      throw Object.assign(new Error(`unknown Content-Encoding ${encoding}`), { code: 'Z_DATA_ERROR' });
  }
}

function queryOf(url: string | undefined): string {
  const at = url?.indexOf('?') ?? -1;
  return url !== undefined && at >= 0 ? url.slice(at) : '';
}
