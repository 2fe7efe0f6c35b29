/**
 * `POST <ota_path>`: forward the device's check upstream, rewrite the reply by the rules, pass it through
 * the device guard, and answer with exact framing — or answer from the fallback when the upstream fails
 * (CONFIG.md "Which reply a device gets").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';
import type { BreakerPermit } from '../fallback/breaker.js';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import { buildFallbackBody, namesTransport } from '../fallback/fallback-reply.js';
import { decideOffer } from '../firmware/select.js';
import type { FirmwareDecision } from '../firmware/types.js';
import { forwardedHeaders } from '../gateway/forwarded-headers.js';
import { failureStatus, type UpstreamFailure } from '../gateway/upstream-failure.js';
import { classifyUpstreamBody } from '../rewrite/folded-json.js';
import { runRules } from '../rewrite/pipeline.js';
import { isWebsocketPresent } from '../rewrite/rules/websocket-url.js';
import { finishReply, sizeRuleOnly, type FinishedReply } from '../rewrite/serialize.js';
import type { JsonObject, RuleContext } from '../rewrite/types.js';
import { readDeviceFacts, readRequest } from './device-request.js';
import { JSON_TYPE, writeDeviceReply, writeError } from './framing.js';
import { readDeviceBody } from './read-body.js';
import type { ExchangeRecord, Runtime } from './runtime.js';
import { exchange, type UpstreamExchange } from './upstream-client.js';

/** What the upstream's answer means for the device (the reply table, row by row). */
type Verdict =
  | { readonly kind: 'sections'; readonly body: JsonObject; readonly text: string }
  | { readonly kind: 'other-object'; readonly body: JsonObject; readonly text: string }
  | { readonly kind: 'client-error'; readonly status: number; readonly contentType: string | undefined; readonly body: Buffer }
  | { readonly kind: 'failure'; readonly failure: UpstreamFailure; readonly cause: unknown };

/** Reads one upstream exchange against the reply table. */
export function judgeUpstream(result: UpstreamExchange): Verdict {
  if (result.kind === 'failure') return { kind: 'failure', failure: result.failure, cause: result.cause };
  const { status } = result;
  if (status >= 400 && status <= 499) {
    return { kind: 'client-error', status, contentType: result.headers['content-type'], body: result.body };
  }
  if (status < 200 || status > 299) return { kind: 'failure', failure: 'bad-status', cause: `upstream status ${status}` };
  if (result.body.length === 0) return { kind: 'failure', failure: 'empty-body', cause: 'upstream 2xx without a body' };
  const text = result.body.toString('utf8');
  const parsed = classifyUpstreamBody(text);
  switch (parsed.kind) {
    case 'sections':
      return { kind: 'sections', body: parsed.body, text };
    case 'other-object':
      return { kind: 'other-object', body: parsed.body, text };
    case 'not-object':
      return { kind: 'failure', failure: 'not-object', cause: 'upstream JSON is not an object' };
    case 'invalid':
      return { kind: 'failure', failure: 'not-json', cause: parsed.reason };
    default:
      return assertNever(parsed);
  }
}

export async function handleOtaCheck(req: IncomingMessage, res: ServerResponse, rt: Runtime): Promise<void> {
  const config = rt.config();
  // Read before the body: the socket's addresses are gone once a client that went away is cleaned up.
  const request = readRequest(req, config, rt.tls);
  const body = await readDeviceBody(req, config.limits.deviceBodyBytes);
  if (body.kind === 'aborted') return;
  if (body.kind === 'too-large') {
    writeError(req, res, 413, `request body over ${config.limits.deviceBodyBytes} bytes`, { close: true });
    rt.record(baseRecord(req, rt.now(), request, null, { outcome: 'rejected', status: 413 }));
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

async function answerCheck(req: IncomingMessage, res: ServerResponse, rt: Runtime, { config, request, device, body, permit, settle }: CheckInput): Promise<void> {
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
  const ctx: RuleContext = {
    config,
    device,
    request,
    now: rt.now(),
    offer: decideOffer({ catalog: rt.catalog(), device, origin: request.origin, publicUrl: config.publicUrl }),
  };
  const upstream = result && {
    status: result.kind === 'response' ? result.status : (result.status ?? null),
    ms: result.ms,
    failure: verdict.kind === 'failure' ? verdict.failure : null,
  };
  const base = { req, at: ctx.now, request, device, upstream, firmware: describeOffer(ctx.offer) };

  if (verdict.kind === 'sections') {
    const outcome = answerSections(verdict.body, ctx, rt);
    if (outcome.kind === 'ok') {
      settle('success');
      writeDeviceReply(req, res, 200, { contentType: JSON_TYPE, body: outcome.json });
      rt.record(checkRecord(base, { outcome: 'rewritten', status: 200, rules: outcome.rules, notes: outcome.notes, repairs: outcome.repairs, upstreamBody: verdict.text, replyBody: outcome.json }));
      return;
    }
    verdict = { kind: 'failure', failure: 'reply-too-large', cause: `reply ${outcome.bytes} bytes after the guard` };
  }
  if (verdict.kind === 'other-object') {
    // The upstream's error shapes ({"success":false,…}, {"error":…}) reach the device untouched but re-framed.
    const sized = replyWithoutSections(verdict.body, verdict.text, ctx.device);
    if (sized.kind === 'ok') {
      settle('success');
      writeDeviceReply(req, res, 200, { contentType: JSON_TYPE, body: sized.json });
      rt.record(checkRecord(base, { outcome: 'passthrough', status: 200, repairs: sized.repairs, upstreamBody: verdict.text, replyBody: sized.json }));
      return;
    }
    verdict = { kind: 'failure', failure: 'reply-too-large', cause: `reply ${sized.bytes} bytes after the size rule` };
  }
  if (verdict.kind === 'client-error') {
    settle('success');
    writeDeviceReply(req, res, verdict.status, { contentType: verdict.contentType, body: verdict.body });
    rt.record(checkRecord(base, { outcome: 'passthrough', status: verdict.status, upstreamBody: verdict.body.toString('utf8'), replyBody: verdict.body.toString('utf8') }));
    return;
  }
  settle('failure');
  // A reply that failed only after the exchange (over 4 KiB) is logged with that failure kind too.
  const failedBase = base.upstream ? { ...base, upstream: { ...base.upstream, failure: verdict.failure } } : base;
  answerFailure(verdict.failure, verdict.cause, ctx, { res, rt, base: failedBase, upstreamText: result?.kind === 'response' ? result.body.toString('utf8') : null });
}

/**
 * An object without any of the four sections gets only the size rule — unless it carries `activation`: that
 * is no error shape, devices act on it (≤ v1.5.9 on any `activation` key, v1.6.0 crashes on a non-string
 * `code`), so it passes the device guard like every OTA reply (device-contract.md §3, §7).
 */
export function replyWithoutSections(body: JsonObject, text: string, device: DeviceFacts): FinishedReply {
  return Object.hasOwn(body, 'activation') ? finishReply(body, device) : sizeRuleOnly(body, text);
}

type SectionsOutcome =
  | { kind: 'ok'; json: string; rules: string[]; notes: string[]; repairs: string[] }
  | { kind: 'too-large'; bytes: number };

function answerSections(upstreamBody: JsonObject, ctx: RuleContext, rt: Runtime): SectionsOutcome {
  const { body, applied, notes } = runRules(upstreamBody, ctx);
  const finished = finishReply(body, ctx.device);
  if (finished.kind === 'too-large') return { kind: 'too-large', bytes: finished.bytes };
  rememberGoodReply(upstreamBody, finished.body, ctx.device, rt);
  return { kind: 'ok', json: finished.json, rules: applied, notes, repairs: finished.repairs };
}

/** Keeps the upstream's own transport sections (raw) and its zone, for the fallback. */
function rememberGoodReply(upstreamBody: JsonObject, reply: JsonObject, device: DeviceFacts, rt: Runtime): void {
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
  // The device used MQTT only if the reply it got carried an `mqtt` object (device-contract.md §3).
  const mqtt = isObject(reply.mqtt) && isObject(upstreamBody.mqtt) ? upstreamBody.mqtt : null;
  if (websocket || mqtt) rt.memory.remember(device.id, { websocket, mqtt });
}

interface BaseFacts {
  readonly req: IncomingMessage;
  readonly at: number;
  readonly request: RequestFacts;
  readonly device: DeviceFacts;
  readonly upstream: ExchangeRecord['upstream'];
  readonly firmware: ExchangeRecord['firmware'];
}

function answerFailure(
  failure: UpstreamFailure,
  cause: unknown,
  ctx: RuleContext,
  { res, rt, base, upstreamText }: { res: ServerResponse; rt: Runtime; base: BaseFacts; upstreamText: string | null },
): void {
  const { req } = base;
  const notes = [`upstream ${failure}`];
  if (ctx.config.fallback.enabled) {
    const fallback = buildFallbackBody(ctx, rt.memory.recall(ctx.device.id), rt.lastUpstreamOffset);
    if (fallback.kind === 'reply') {
      const finished = finishReply(fallback.body, ctx.device);
      if (finished.kind === 'ok' && namesTransport(finished.body)) {
        writeDeviceReply(req, res, 200, { contentType: JSON_TYPE, body: finished.json });
        rt.record(checkRecord(base, { outcome: 'fallback', status: 200, rules: [...fallback.applied], notes, repairs: finished.repairs, upstreamBody: upstreamText, replyBody: finished.json, cause }));
        return;
      }
      // The guard may drop a remembered section the device cannot use; a reply left without a transport
      // would push the device onto stale MQTT settings, so it is not sent (CONFIG.md "Fallback reply").
      notes.push(finished.kind === 'ok' ? 'fallback: no usable transport after the guard' : 'fallback reply over 4 KiB');
    } else {
      notes.push('fallback: no transport known for this device');
    }
  }
  const status = failureStatus(failure);
  writeError(req, res, status, status === 504 ? 'upstream OTA server timed out' : 'upstream OTA server failed');
  rt.record(checkRecord(base, { outcome: 'failed', status, notes, upstreamBody: upstreamText, cause }));
}

export function forwardingFacts(request: RequestFacts, config: Config, tls: boolean) {
  const { target } = config.upstream;
  const defaultPort = target.scheme === 'https' ? 443 : 80;
  return {
    peer: request.peer,
    trustedPeer: request.trustedPeer,
    address: request.address,
    tls,
    upstreamHost: target.port === defaultPort ? target.host : `${target.host}:${target.port}`,
  };
}

function describeOffer(offer: FirmwareDecision): ExchangeRecord['firmware'] {
  switch (offer.kind) {
    case 'offer':
      return { offered: `${offer.entry.board} ${offer.version} (${offer.entry.file})${offer.force ? ' forced' : ''}`, reason: null };
    case 'none':
      return { offered: null, reason: `${offer.reason}: ${offer.detail}` };
    default:
      return assertNever(offer);
  }
}

function baseRecord(
  req: IncomingMessage,
  at: number,
  request: RequestFacts,
  device: DeviceFacts | null,
  { outcome, status }: { outcome: ExchangeRecord['outcome']; status: number },
): ExchangeRecord {
  return {
    kind: 'check',
    at,
    method: req.method ?? 'POST',
    path: req.url ?? '',
    address: request.address,
    device: { id: device?.id ?? headerValue(req, 'device-id'), board: device?.build ?? null, version: device?.version ?? null },
    upstream: null,
    outcome,
    status,
    rules: [],
    notes: [],
    repairs: [],
    firmware: null,
    upstreamBody: null,
    replyBody: null,
  };
}

function checkRecord(
  base: BaseFacts,
  fields: Pick<ExchangeRecord, 'outcome' | 'status'> & Partial<Pick<ExchangeRecord, 'rules' | 'notes' | 'repairs' | 'upstreamBody' | 'replyBody'>> & { cause?: unknown },
): ExchangeRecord {
  const record = {
    ...baseRecord(base.req, base.at, base.request, base.device, fields),
    upstream: base.upstream,
    firmware: base.firmware,
    rules: fields.rules ?? [],
    notes: fields.notes ?? [],
    repairs: fields.repairs ?? [],
    upstreamBody: fields.upstreamBody ?? null,
    replyBody: fields.replyBody ?? null,
  };
  return fields.cause === undefined ? record : { ...record, cause: fields.cause };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value.toLowerCase() : null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
