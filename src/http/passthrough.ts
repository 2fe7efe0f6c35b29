/**
 * Every path the proxy does not answer itself (e.g. `/mcp/vision/explain`) goes upstream as is, through the
 * upstream client's streamed mode: the body piped both ways, hop-by-hop headers dropped both ways (those a
 * `Connection` header names too), 30 s without progress ends it, and a client that leaves releases the
 * upstream at once. Passthrough has its own upstream pool and at most `passthrough.max_concurrent` requests
 * in flight — one beyond that gets a framed 503 at once — so it can never starve OTA checks
 * (docs/configuration.md "Fleet and hardening amendments").
 */
import {
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { forwardingFacts, hopByHopNames, streamedHeaders } from '../gateway/forwarded-headers.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import { streamExchange } from '../upstream/stream.js';
import { readRequest } from './device-request.js';
import { writeError } from './framing.js';

export interface Passthrough {
  handle(req: IncomingMessage, res: ServerResponse, rt: ProxyState): void;
}

export function createPassthrough(): Passthrough {
  let active = 0;
  const release = (): void => {
    active -= 1;
  };
  return {
    handle(req, res, rt) {
      const config = rt.config();
      if (active >= config.passthrough.maxConcurrent) {
        // A body it will not read is not worth draining: the connection closes after the 503 instead.
        writeError(req, res, 503, 'too many passthrough requests in flight', { close: hasBody(req) });
        rt.logger.warn(
          { path: req.url, maxConcurrent: config.passthrough.maxConcurrent },
          'passthrough request refused: at max_concurrent',
        );
        return;
      }
      active += 1;
      res.once('close', release);
      const request = readRequest(req, config, rt.tls);
      const call = streamExchange(
        {
          target: config.upstream.target,
          agents: rt.agents,
          pool: 'passthrough',
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: streamedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls)),
          body: hasBody(req) ? req : null,
          client: res,
        },
        {
          response(upstreamRes) {
            // The upstream's reason phrase is not reused: Node's parser lets control bytes through that its
            // writer rejects, and clients ignore the phrase anyway (RFC 9112 §4). Without a length Node
            // re-frames the stream itself (chunked to HTTP/1.1 clients, close-delimited to 1.0).
            try {
              res.writeHead(upstreamRes.statusCode ?? 502, relayedHeaders(upstreamRes));
            } catch (error) {
              // Never throw out of this event: that would take the process down.
              call.fail('protocol', 'the upstream reply cannot be relayed', error);
              return;
            }
            call.relayTo(res);
          },
          body() {},
          failure(error) {
            rt.logger.warn({ err: error, failure: error.failure, path: req.url }, 'proxied request failed');
            // A request body still arriving is not read any further: the connection closes after the reply.
            if (!res.headersSent)
              writeError(req, res, error.status, 'upstream failed', { close: !req.complete });
            else res.destroy();
          },
          abandoned() {
            rt.logger.debug({ path: req.url }, 'proxied request abandoned: the client went away');
          },
        },
      );
    },
  };
}

/** Whether the request carries a body to pipe (Node has validated its framing). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/**
 * The upstream's headers as the client gets them: hop-by-hop ones dropped (and those its `Connection` names),
 * and any Node's writer would refuse — its parser accepts bytes (DEL, some controls) the writer throws on.
 */
function relayedHeaders(res: IncomingMessage): string[] {
  const drop = hopByHopNames(res.headers.connection);
  const raw = res.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (!drop.has(name.toLowerCase()) && writable(name, value)) out.push(name, value);
  }
  return out;
}

function writable(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}
