/**
 * `GET` on the OTA path: the upstream's status sentence with `rewrite` and the websocket address applied
 * (people open this URL in a browser to check the deployment); a short sentence holding "OTA" when the
 * upstream is down (docs/configuration.md "Which reply a device gets").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardedHeaders, forwardingFacts } from '../gateway/forwarded-headers.js';
import { rewriteGetText } from '../rewrite/get-text.js';
import type { RuleContext } from '../rewrite/types.js';
import { readDevice } from '../device/identify.js';
import { flatHeaders, readRequest } from './device-request.js';
import { TEXT_TYPE, writeDeviceReply } from './framing.js';
import { exchangeRecord } from '../gateway/exchange-record.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import { exchange } from '../upstream/exchange.js';

export async function handleOtaGet(req: IncomingMessage, res: ServerResponse, rt: ProxyState): Promise<void> {
  const config = rt.config();
  const request = readRequest(req, config, rt.tls);
  const device = readDevice(flatHeaders(req), Buffer.alloc(0));
  const breakerOpen = rt.breaker.state !== 'closed';
  const result = breakerOpen
    ? null
    : await exchange({
        target: config.upstream.target,
        method: 'GET',
        path: config.otaPath,
        headers: forwardedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls)),
        body: null,
        timeoutMs: config.upstream.timeoutMs,
        maxBodyBytes: config.upstream.maxBodyBytes,
        agents: rt.agents,
      });
  const head = { kind: 'get' as const, at: rt.now(), address: request.address, device };
  if (result?.kind === 'response' && result.status >= 200 && result.status <= 499) {
    const upstreamText = result.body.toString('utf8');
    const ctx: RuleContext = {
      config,
      device,
      request,
      now: rt.now(),
      // The status sentence carries no firmware: no catalog decision to make.
      offer: { kind: 'none', reason: 'no-catalog', detail: 'GET on the OTA path' },
    };
    const ok = result.status <= 299;
    const text = ok ? rewriteGetText(upstreamText, ctx) : upstreamText;
    writeDeviceReply(req, res, result.status, {
      contentType: result.headers['content-type'] ?? TEXT_TYPE,
      body: text,
    });
    rt.record(
      exchangeRecord(req, head, {
        upstream: { status: result.status, ms: result.ms, failure: null },
        outcome: ok && text !== upstreamText ? 'rewritten' : 'passthrough',
        status: result.status,
        upstreamBody: upstreamText,
        replyBody: text,
      }),
    );
    return;
  }
  const why =
    result === null
      ? 'the circuit breaker is open'
      : result.kind === 'failure'
        ? `upstream ${result.failure}`
        : `upstream status ${result.status}`;
  const text = `OTA proxy is running; the upstream OTA server is not answering (${why}).`;
  writeDeviceReply(req, res, 200, { contentType: TEXT_TYPE, body: text });
  rt.record(
    exchangeRecord(req, head, {
      upstream: result && {
        status: result.kind === 'response' ? result.status : null,
        ms: result.ms,
        failure: result.kind === 'failure' ? result.failure : 'bad-status',
      },
      outcome: 'fallback',
      status: 200,
      notes: [why],
      replyBody: text,
    }),
  );
}
