/**
 * `POST /admin/explain` (admin/explain.ts does the explaining). Every bad input — not JSON, a wrong shape,
 * a body nested past MAX_BODY_DEPTH, over MAX_EXPLAIN_BYTES — is a 4xx naming what is wrong, never a 500.
 * The live upstream is asked through ProxyState `otaUpstream`, the OTA check's own upstream step.
 */
import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { unmapAddress } from '../match/cidr.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import {
  MAX_EXPLAIN_BYTES,
  explainCheck,
  explainRejected,
  readExplainInput,
  readSubject,
} from './explain.js';

/** The explain route; the caller gates it. */
export function explainRoutes(state: ProxyState): Hono {
  const app = new Hono();
  app.post(
    '/',
    bodyLimit({
      maxSize: MAX_EXPLAIN_BYTES,
      onError: (c) =>
        c.json(
          { error: 'too large', detail: `the explain request must stay under ${MAX_EXPLAIN_BYTES} bytes` },
          413,
        ),
    }),
    async (c) => {
      let body: unknown;
      try {
        // V8's JSON.parse does not recurse, so any nesting parses; readExplainInput bounds what is used.
        body = JSON.parse(await c.req.text()) as unknown;
      } catch {
        return c.json({ error: 'bad request', detail: 'the body must be JSON' }, 400);
      }
      const input = readExplainInput(body, { peer: peerOf(c.env) });
      if (typeof input === 'string') return c.json({ error: 'bad request', detail: input }, 400);
      const config = state.config();
      const subject = readSubject(input.request, { config, tls: state.tls });
      const bodyBytes = Buffer.byteLength(input.request.body, 'utf8');
      if (bodyBytes > config.limits.deviceBodyBytes)
        return c.json(explainRejected(bodyBytes, config.limits.deviceBodyBytes));
      const upstream =
        input.upstream ??
        (await state.otaUpstream.ask({
          headers: input.request.headers,
          body: Buffer.from(input.request.body, 'utf8'),
          facts: subject.request,
        }));
      // Decided as the device's own check would be (blocks, halts), never recorded (docs/fleet.md "Principles").
      const plan = state.fleet?.beginCheck({ device: subject.device, at: state.now(), track: false });
      const explanation = explainCheck({
        subject,
        upstream,
        source: input.upstream === null ? 'live' : 'given',
        state: {
          config,
          catalog: state.catalog(),
          now: state.now(),
          // Reading the memory marks the device as recently seen; nothing else in it changes.
          remembered: state.memory.peek(subject.device.id),
          lastUpstreamOffset: state.lastUpstreamOffset,
          breakerOpen: state.breaker.state !== 'closed',
          ...(plan === undefined ? {} : { fleetDecide: plan.decide }),
        },
      });
      return c.json(explanation);
    },
  );
  return app;
}

/** The admin client's address (@hono/node-server passes the Node request as `env.incoming`). */
function peerOf(env: unknown): string {
  const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return unmapAddress(incoming?.socket.remoteAddress ?? '127.0.0.1');
}
