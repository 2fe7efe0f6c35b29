/**
 * `POST <ota_path>`: forward the device's check upstream, rewrite the reply by the rules, pass it through
 * the device guard, and answer with exact framing — or answer from the fallback when the upstream fails
 * (docs/configuration.md "Which reply a device gets").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';
import type { BreakerPermit } from '../fallback/breaker.js';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import { decideOffer } from '../firmware/select.js';
import type { FirmwareDecision, OfferGate } from '../firmware/types.js';
import { forwardedHeaders, forwardingFacts } from '../gateway/forwarded-headers.js';
import { decideReply, type Verdict } from '../gateway/reply-table.js';
import { isWebsocketPresent } from '../rewrite/rules/websocket-url.js';
import type { JsonObject, RuleContext } from '../rewrite/types.js';
import { readDeviceFacts, readRequest } from './device-request.js';
import { writeDeviceReply, writeError } from './framing.js';
import { readDeviceBody } from './read-body.js';
import { exchangeRecord } from '../gateway/exchange-record.js';
import type { ProxyState } from '../runtime/proxy-state.js';
import type { ExchangeRecord } from '../gateway/exchange-record.js';
import { judgeUpstream, type UpstreamExchange } from '../gateway/upstream-verdict.js';
import { exchange } from '../upstream/exchange.js';
import { recordCheck, shownReply, tracksCheck } from './fleet-check.js';

export async function handleOtaCheck(
  req: IncomingMessage,
  res: ServerResponse,
  rt: ProxyState,
): Promise<void> {
  const config = rt.config();
  // Read before the body: the socket's addresses are gone once a client that went away is cleaned up.
  const request = readRequest(req, config, rt.tls);
  const body = await readDeviceBody(req, config.limits.deviceBodyBytes);
  if (body.kind === 'aborted') return;
  if (body.kind === 'too-large') {
    writeError(req, res, 413, `request body over ${config.limits.deviceBodyBytes} bytes`, { close: true });
    rt.record(
      exchangeRecord(
        req,
        { kind: 'check', at: rt.now(), address: request.address, device: null },
        { outcome: 'rejected', status: 413 },
      ),
    );
    return;
  }
  const device = readDeviceFacts(req, body.bytes);
  const permit = rt.breaker.permit();
  let settled = false;
  const settle = (outcome: 'success' | 'failure'): void => {
    settled = true;
    rt.breaker.record(outcome, permit);
  };
  try {
    await answerCheck(req, res, rt, { config, request, device, body: body.bytes, permit, settle });
  } finally {
    // A probe that never reports would keep the breaker half-open for good: every later check would get
    // the fallback without the upstream ever being asked again. An exception counts as a failure.
    if (!settled) rt.breaker.record('failure', permit);
  }
}

interface CheckInput {
  readonly config: Config;
  readonly request: RequestFacts;
  readonly device: DeviceFacts;
  readonly body: Buffer;
  readonly permit: BreakerPermit;
  readonly settle: (outcome: 'success' | 'failure') => void;
}

async function answerCheck(
  req: IncomingMessage,
  res: ServerResponse,
  rt: ProxyState,
  { config, request, device, body, permit, settle }: CheckInput,
): Promise<void> {
  let result: UpstreamExchange | null = null;
  let verdict: Verdict;
  if (permit === 'reject') {
    verdict = { kind: 'failure', failure: 'breaker-open', cause: 'circuit breaker open' };
  } else {
    result = await exchange({
      target: config.upstream.target,
      method: 'POST',
      path: config.otaPath,
      headers: forwardedHeaders(req.rawHeaders, forwardingFacts(request, config, rt.tls)),
      body,
      timeoutMs: config.upstream.timeoutMs,
      maxBodyBytes: config.upstream.maxBodyBytes,
      agents: rt.agents,
    });
    verdict = judgeUpstream(result);
  }
  const now = rt.now();
  // The fleet decides from memory (blocks, halts, tokens) and records behind: nothing here waits on it.
  const plan = rt.fleet?.beginCheck({ device, at: now, track: tracksCheck(req) }) ?? null;
  const catalog = rt.catalog();
  const offerWith = (gate: OfferGate | undefined): FirmwareDecision =>
    decideOffer({ catalog, device, origin: request.origin, publicUrl: config.publicUrl, gate });
  const ctx: RuleContext = {
    config,
    device,
    request,
    now,
    offer: plan === null ? offerWith(undefined) : plan.decide(offerWith),
  };
  const decision = decideReply(verdict, ctx, {
    recall: () => rt.memory.recall(device.id),
    lastUpstreamOffset: rt.lastUpstreamOffset,
  });
  settle(decision.breaker);
  if (decision.outcome === 'rewritten' && verdict.kind === 'sections' && decision.sent)
    rememberGoodReply(verdict.body, decision.sent, device, rt);
  writeDeviceReply(req, res, decision.status, { contentType: decision.contentType, body: decision.body });
  if (plan !== null)
    recordCheck(rt, plan, device, { body, req, request, offer: ctx.offer, verdict, result, decision });
  // The verdict already decoded a JSON reply's text: it is not decoded twice.
  const upstreamText =
    verdict.kind === 'sections' || verdict.kind === 'other-object'
      ? verdict.text
      : result?.kind === 'response'
        ? result.body.toString('utf8')
        : null;
  rt.record(
    exchangeRecord(
      req,
      { kind: 'check', at: ctx.now, address: request.address, device },
      {
        // A reply that failed only after the exchange (over 4 KiB) is logged with that failure kind too.
        upstream: result && {
          status: result.kind === 'response' ? result.status : (result.status ?? null),
          ms: result.ms,
          failure: decision.failure,
        },
        outcome: decision.outcome,
        status: decision.status,
        rules: decision.rules,
        notes: decision.notes,
        repairs: decision.repairs,
        firmware: describeOffer(ctx.offer),
        upstreamBody: upstreamText,
        replyBody: shownReply(
          typeof decision.body === 'string' ? decision.body : decision.body.toString('utf8'),
          ctx.offer,
        ),
        cause: decision.cause,
      },
    ),
  );
}

/** Keeps the upstream's own transport sections (raw) and its zone, for the fallback. */
function rememberGoodReply(
  upstreamBody: JsonObject,
  reply: JsonObject,
  device: DeviceFacts,
  rt: ProxyState,
): void {
  const time = upstreamBody.server_time;
  // Only a plausible offset in minutes (UTC−12…+14, with room): the fallback must not repeat a unit mistake.
  if (isObject(time) && typeof time.timezone_offset === 'number' && Math.abs(time.timezone_offset) <= 1440) {
    rt.lastUpstreamOffset = Math.round(time.timezone_offset);
  }
  if (device.id === null) return;
  const ws = upstreamBody.websocket;
  // Present as rule 2 and the guard read it (a case-sensitive ws:// or wss://): a section the device could
  // not use is not worth remembering.
  const websocket = isWebsocketPresent(ws) ? ws : null;
  // The device used MQTT only if the reply it got carried an `mqtt` object (docs/device-contract.md §3).
  const mqtt = isObject(reply.mqtt) && isObject(upstreamBody.mqtt) ? upstreamBody.mqtt : null;
  if (websocket || mqtt) rt.memory.remember(device.id, { websocket, mqtt });
}

function describeOffer(offer: FirmwareDecision): ExchangeRecord['firmware'] {
  switch (offer.kind) {
    case 'offer':
      return {
        offered: `${offer.entry.board} ${offer.version} (${offer.entry.file})${offer.force ? ' forced' : ''}`,
        reason: null,
        offer: {
          board: offer.entry.board,
          version: offer.version,
          file: offer.entry.file,
          force: offer.force,
        },
      };
    case 'none':
      return { offered: null, reason: `${offer.reason}: ${offer.detail}`, offer: null };
    default:
      return assertNever(offer);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
