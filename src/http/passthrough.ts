/**
 * Every path the proxy does not answer itself (e.g. `/mcp/vision/explain`) goes upstream as is, streamed,
 * through http-proxy 1.18.1 — which has had no release since 2020, so: a keep-alive agent for HTTP, an
 * error handler per call, `selfHandleResponse` with status and headers written here, and hop-by-hop headers
 * dropped both ways by us (http-proxy forwards `Connection`, `TE`, `Trailer` as they come).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import { forwardedHeaders, hopByHopNames } from '../gateway/forwarded-headers.js';
import { classifyUpstreamError, failureStatus } from '../gateway/upstream-failure.js';
import { readRequest } from './device-request.js';
import { writeError } from './framing.js';
import { forwardingFacts } from './ota-check.js';
import type { Runtime } from './runtime.js';

const IDLE_TIMEOUT_MS = 30_000;

export interface Passthrough {
  handle(req: IncomingMessage, res: ServerResponse, rt: Runtime): void;
  close(): void;
}

export function createPassthrough(): Passthrough {
  const proxy = httpProxy.createProxyServer({ selfHandleResponse: true, xfwd: false, ws: false });
  // Errors are handled per call; this listener only keeps an unexpected emit from crashing the process.
  proxy.on('error', () => {});
  proxy.on('proxyRes', (proxyRes, req, res) => {
    const drop = hopByHopNames(proxyRes.headers.connection);
    const headers: [string, string][] = [];
    const raw = proxyRes.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string;
      if (!drop.has(name.toLowerCase())) headers.push([name, raw[i + 1] as string]);
    }
    // Without a length Node re-frames the stream itself (chunked to HTTP/1.1 clients, close-delimited to 1.0).
    res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage, headers);
    proxyRes.pipe(res);
    proxyRes.on('error', () => res.destroy());
    void req;
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
        headers[name] = headers[name] === undefined ? (raw[i + 1] as string) : `${headers[name]}, ${raw[i + 1] as string}`;
      }
      // Keep the request body framing: Node re-frames from content-length, or chunks when absent.
      const length = req.headers['content-length'];
      if (length !== undefined) headers['content-length'] = length;
      else if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
      req.headers = headers;
      const { target } = config.upstream;
      proxy.web(
        req,
        res,
        {
          target: target.href,
          agent: target.scheme === 'https' ? rt.agents.https : rt.agents.http,
          proxyTimeout: IDLE_TIMEOUT_MS,
          timeout: IDLE_TIMEOUT_MS,
        },
        (error) => {
          const failure = classifyUpstreamError(error);
          rt.logger.warn({ err: error, failure, path: req.url }, 'proxied request failed');
          if (!res.headersSent) writeError(req, res, failureStatus(failure), 'upstream failed');
          else res.destroy();
        },
      );
    },
    close() {
      proxy.close();
    },
  };
}
