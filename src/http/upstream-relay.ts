/**
 * Replies the upstream makes that devices read but the proxy does not rewrite: `POST <ota_path>activate`
 * and the upstream's firmware download routes. Status and body pass through; the framing is the proxy's
 * own (Content-Length always, never chunked: the Java upstream's replies arrive chunked).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readDevice } from '../device/identify.js';
import { forwardedHeaders, forwardingFacts } from '../gateway/forwarded-headers.js';
import { exchangeRecord } from '../gateway/exchange-record.js';
import { failureStatus } from '../gateway/upstream-failure.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import { encodingOf } from '../upstream/decode.js';
import { exchange } from '../upstream/exchange.js';
import { streamExchange } from '../upstream/stream.js';
import { flatHeaders, readRequest } from './device-request.js';
import { deviceHeaders, writeDeviceReply, writeError } from './framing.js';
import { readDeviceBody } from './read-body.js';

/**
 * A download without Content-Length (or compressed) is buffered up to this much to frame it
 * (docs/configuration.md "Framing and paths").
 */
const MAX_BUFFERED_DOWNLOAD = 16 * 1024 * 1024;

/**
 * `POST <ota_path>activate` (200 done, 202 pending, anything else a failure the device retries,
 * docs/device-contract.md §4), and other methods on the OTA path: buffered, status and body unchanged.
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

/**
 * The upstream's firmware downloads (`/xiaozhi/ota/download/…`, `/xiaozhi/otaMag/download/…`): streamed
 * with the upstream's Content-Length when it sends identity with one, else buffered (≤ 16 MiB) and decoded
 * to get one. Draws on the device pool: passthrough cannot take its sockets.
 */
export function relayDownload(req: IncomingMessage, res: ServerResponse, rt: ProxyState): void {
  const config = rt.config();
  const request = readRequest(req, config, rt.tls);
  const log = rt.logger.child({ download: { client: request.address, path: req.url } });
  let status = 502;
  const call = streamExchange(
    {
      target: config.upstream.target,
      agents: rt.agents,
      pool: 'device',
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      path: req.url ?? '/',
      headers: forwardedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls)),
      body: null,
      client: res,
    },
    {
      response(upstreamRes) {
        status = upstreamRes.statusCode ?? 502;
        const { headers } = upstreamRes;
        const declared = headers['content-length'];
        if (
          declared === undefined ||
          encodingOf(headers['content-encoding']) !== 'identity' ||
          !/^\d+$/.test(declared)
        ) {
          call.readBody(MAX_BUFFERED_DOWNLOAD);
          return;
        }
        const length = Number(declared);
        res.writeHead(
          status,
          deviceHeaders(req, { contentType: headers['content-type'], contentLength: length }),
        );
        res.once('finish', () => log.info({ status, bytes: length }, 'upstream download relayed'));
        call.relayTo(res);
      },
      body(body) {
        writeDeviceReply(req, res, status, { contentType: call.response?.headers['content-type'], body });
        log.info({ status, bytes: body.length }, 'upstream download relayed (buffered to frame it)');
      },
      failure(error) {
        if (!res.headersSent) writeError(req, res, error.status, 'upstream download failed');
        else res.destroy();
        log.warn({ failure: error.failure, err: error }, 'upstream download failed');
      },
      abandoned() {
        log.info('upstream download abandoned: the client went away');
      },
    },
  );
}

function queryOf(url: string | undefined): string {
  const at = url?.indexOf('?') ?? -1;
  return url !== undefined && at >= 0 ? url.slice(at) : '';
}
