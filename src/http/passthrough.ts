/**
 * Every path the proxy does not answer itself (e.g. `/mcp/vision/explain`) goes upstream as is, streamed,
 * through http-proxy 1.18.1 — which has had no release since 2020, so: a keep-alive agent for HTTP, an
 * error handler per call, `selfHandleResponse` with status and headers written here, and hop-by-hop headers
 * dropped both ways by us (http-proxy forwards `Connection`, `TE`, `Trailer` as they come).
 */
import {
  validateHeaderName,
  validateHeaderValue,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import httpProxy from 'http-proxy';
import { forwardedHeaders, hopByHopNames } from '../gateway/forwarded-headers.js';
import { classifyUpstreamError, failureStatus } from '../gateway/upstream-failure.js';
import { readRequest } from './device-request.js';
import { writeError } from './framing.js';
import { forwardingFacts } from './ota-check.js';
import type { ProxyState } from '../runtime/proxy-state.js';

const IDLE_TIMEOUT_MS = 30_000;

export interface Passthrough {
  handle(req: IncomingMessage, res: ServerResponse, rt: ProxyState): void;
  close(): void;
}

/** One proxied exchange, as the http-proxy event listeners see it. */
interface Exchange {
  /** Set once the upstream's response arrived (a `close` before it is a failure). */
  responded: boolean;
  upstreamRequest: ClientRequest | null;
  /** Answers with a framed 502/504, or cuts the connection when the response has begun; only once. */
  fail(error: unknown): void;
}

export function createPassthrough(): Passthrough {
  const proxy = httpProxy.createProxyServer({ selfHandleResponse: true, xfwd: false, ws: false });
  const exchanges = new WeakMap<IncomingMessage, Exchange>();
  // Errors are handled per call; this listener only keeps an unexpected emit from crashing the process.
  proxy.on('error', () => {});
  proxy.on('proxyReq', (upstreamRequest, req) => {
    const x = exchanges.get(req);
    if (!x) return;
    x.upstreamRequest = upstreamRequest;
    // A 101 nobody asked for: Node has no handler for it and drops the socket without an error, which
    // would leave the client waiting. So would a connection that closes before any response.
    upstreamRequest.on('upgrade', (_res, socket) => {
      socket.destroy();
      x.fail(
        Object.assign(new Error('the upstream switched protocols unasked'), {
          code: 'HPE_UNEXPECTED_UPGRADE',
        }),
      );
    });
    upstreamRequest.on('close', () => {
      if (!x.responded)
        x.fail(Object.assign(new Error('the upstream closed without a reply'), { code: 'ECONNRESET' }));
    });
  });
  proxy.on('proxyRes', (proxyRes, req, res) => {
    const x = exchanges.get(req);
    if (x) x.responded = true;
    const drop = hopByHopNames(proxyRes.headers.connection);
    const headers: [string, string][] = [];
    const raw = proxyRes.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      // Node's parser accepts bytes its writer refuses (DEL, some controls): such a header is not passed on
      // rather than let writeHead throw out of this event and take the process down.
      if (!drop.has(name.toLowerCase()) && writableHeader(name, value)) headers.push([name, value]);
    }
    try {
      // The upstream's reason phrase is not reused: Node's parser lets control bytes through that its
      // writer rejects, and clients ignore the phrase anyway (RFC 9112 §4).
      // Without a length Node re-frames the stream itself (chunked to HTTP/1.1 clients, close-delimited to 1.0).
      res.writeHead(proxyRes.statusCode ?? 502, headers);
    } catch (error) {
      proxyRes.destroy();
      x?.fail(error);
      return;
    }
    proxyRes.on('error', () => res.destroy());
    // A client that goes away mid-response releases the upstream at once, not after the idle timeout.
    res.on('close', () => {
      if (!res.writableFinished) proxyRes.destroy();
    });
    proxyRes.pipe(res);
  });

  return {
    handle(req, res, rt) {
      const config = rt.config();
      const request = readRequest(req, config, rt.tls);
      // http-proxy copies req.headers to the upstream request; hand it the cleaned set instead.
      const raw = forwardedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls));
      const headers: Record<string, string> = {};
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = (raw[i] as string).toLowerCase();
        // Node already answered `Expect: 100-continue` to the client; http-proxy also skips its `proxyReq`
        // event (our close and upgrade handling) for a request that carries it.
        if (name === 'expect') continue;
        headers[name] =
          headers[name] === undefined ? (raw[i + 1] as string) : `${headers[name]}, ${raw[i + 1] as string}`;
      }
      // Keep the request body framing: Node re-frames from content-length, or chunks when absent.
      const length = req.headers['content-length'];
      if (length !== undefined) headers['content-length'] = length;
      else if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
      req.headers = headers;
      const { target } = config.upstream;
      let failed = false;
      let clientGone = false;
      const x: Exchange = {
        responded: false,
        upstreamRequest: null,
        fail(error) {
          if (failed) return;
          failed = true;
          x.upstreamRequest?.destroy();
          if (clientGone) {
            rt.logger.debug({ path: req.url }, 'proxied request abandoned: the client went away');
            return;
          }
          const failure = classifyUpstreamError(error);
          rt.logger.warn({ err: error, failure, path: req.url }, 'proxied request failed');
          if (!res.headersSent) writeError(req, res, failureStatus(failure), 'upstream failed');
          else res.destroy();
        },
      };
      exchanges.set(req, x);
      // The client went away before the upstream answered: stop the upstream request too.
      res.on('close', () => {
        clientGone = !res.writableFinished;
        if (!x.responded) x.upstreamRequest?.destroy();
      });
      proxy.web(
        req,
        res,
        {
          target: target.href,
          agent: target.scheme === 'https' ? rt.agents.https : rt.agents.http,
          proxyTimeout: IDLE_TIMEOUT_MS,
          timeout: IDLE_TIMEOUT_MS,
        },
        (error) => x.fail(error),
      );
    },
    close() {
      proxy.close();
    },
  };
}

function writableHeader(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}
