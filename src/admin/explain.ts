/**
 * `POST /admin/explain`: one device request run through the OTA pipeline — device reading, the reply table,
 * the rules, the guard, the fallback, the catalog — against a given or the live upstream reply, with
 * nothing sent to any device and no state changed (no breaker count, no fallback memory, no metrics).
 * It answers with the reply a device would get, the diff from the upstream's, and the reasons: which
 * config items matched, what each rule did, what the guard repaired and why no firmware was offered.
 *
 * The reply itself is decided by gateway/reply-table.ts `decideReply`, the same function the OTA check uses,
 * from the verdict of the check's own reading of the upstream's reply (gateway/upstream-verdict.ts `judgeUpstream`).
 * Every body, URL and value shown is redacted (gateway/redact.ts).
 */
import type { Config, RewriteRule } from '../config/types.js';
import { readDevice } from '../device/identify.js';
import { readRequestFacts } from '../device/request-facts.js';
import { renderTemplate } from '../config/template.js';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import type { RememberedDevice } from '../fallback/device-memory.js';
import { decideOffer } from '../firmware/select.js';
import type { Catalog, FirmwareDecision, OfferGate } from '../firmware/types.js';
import { shortenTokens } from '../fleet/token-display.js';
import { redactJson, redactSecrets, redactUrl } from '../gateway/redact.js';
import { decideReply, type ReplyStep, type Verdict } from '../gateway/reply-table.js';
import { failureStatus, type UpstreamFailure } from '../gateway/upstream-failure.js';
import { judgeUpstream, type UpstreamExchange } from '../gateway/upstream-verdict.js';
import { matchesCondition } from '../match/when.js';
import { parseJson } from '../rewrite/folded-json.js';
import { matchInputOf } from '../rewrite/match-input.js';
import { MAX_REPLY_BYTES } from '../rewrite/serialize.js';
import type { JsonValue, RuleContext } from '../rewrite/types.js';
import { diffJson, type DiffEntry } from './json-diff.js';
import { UPSTREAM_FAILURES } from './metrics.js';

/** The largest explain request accepted (a device body plus an upstream reply, as JSON). */
export const MAX_EXPLAIN_BYTES = 1024 * 1024;

/**
 * How deep a body given as JSON may nest: deeper than any OTA message, and as deep as the reply parser
 * reads (rewrite/folded-json.ts). A deeper one is refused with a 400 before anything serialises it (a
 * recursive `JSON.stringify` would overflow the stack); given as a string, it is explained as sent.
 */
export const MAX_BODY_DEPTH = 64;

/** A device request as the operator hands it in. */
export interface ExplainRequest {
  /** Raw header pairs as the device sends them (any casing; `Host` decides how templates render). */
  readonly headers: readonly (readonly [string, string])[];
  /** The body as sent (it may be invalid JSON, as real devices' can be). */
  readonly body: string;
  /** The socket peer the proxy would see (docs/configuration.md `when.source`, before `trusted_proxies`). */
  readonly peer: string;
}

/** The parsed `POST /admin/explain` body: the request and, optionally, the upstream's reply to use. */
export interface ExplainInput {
  readonly request: ExplainRequest;
  /** `null`: ask the live upstream. */
  readonly upstream: UpstreamExchange | null;
}

/**
 * Reads the explain body:
 * `{ request: { headers: {name: value} | [[name, value]…], body: string | object, address? },
 *    upstream?: { status?, headers?, body: string | object } | { failure: "<kind>" } }`.
 * Returns what is wrong as a string.
 */
export function readExplainInput(value: unknown, { peer }: { peer: string }): ExplainInput | string {
  if (!isRecord(value)) return 'the body must be a JSON object with a `request` member';
  const request = value.request;
  if (!isRecord(request)) return '`request` must be an object with `headers` and `body`';
  const headers = readHeaders(request.headers);
  if (typeof headers === 'string') return `request.headers: ${headers}`;
  const body = readBody(request.body, 'request.body');
  if (!body.ok) return body.error;
  let address = peer;
  if (request.address !== undefined) {
    if (typeof request.address !== 'string' || request.address.trim() === '')
      return '`request.address` must be an IP address string';
    address = request.address.trim();
  }
  const parsedRequest: ExplainRequest = { headers, body: body.text, peer: address };
  if (value.upstream === undefined || value.upstream === null)
    return { request: parsedRequest, upstream: null };
  const upstream = readUpstream(value.upstream);
  if (typeof upstream === 'string') return upstream;
  return { request: parsedRequest, upstream };
}

function readHeaders(value: unknown): [string, string][] | string {
  const pairs: [string, string][] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (
        !Array.isArray(item) ||
        item.length !== 2 ||
        typeof item[0] !== 'string' ||
        typeof item[1] !== 'string'
      )
        return 'each item must be [name, value] strings';
      pairs.push([item[0], item[1]]);
    }
  } else if (isRecord(value)) {
    for (const [name, v] of Object.entries(value)) {
      if (typeof v !== 'string') return `"${name}" must be a string`;
      pairs.push([name, v]);
    }
  } else {
    return 'must be an object of name: value, or a list of [name, value]';
  }
  for (const [name] of pairs)
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `"${name}" is not a header name`;
  return pairs;
}

/** A body given as text, or as JSON to be serialised. */
function readBody(value: unknown, path: string): { ok: true; text: string } | { ok: false; error: string } {
  if (value === undefined) return { ok: false, error: `\`${path}\` is required (a string, or JSON)` };
  if (typeof value === 'string') return { ok: true, text: value };
  if (nestsDeeperThan(value, MAX_BODY_DEPTH))
    return {
      ok: false,
      error: `\`${path}\` nests deeper than ${MAX_BODY_DEPTH} levels (give it as a string to explain it as sent)`,
    };
  return { ok: true, text: JSON.stringify(value) };
}

/** Whether a parsed JSON value nests deeper than `limit` arrays/objects; a loop, so no depth can throw. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return false;
}

function readUpstream(value: unknown): UpstreamExchange | string {
  if (!isRecord(value)) return '`upstream` must be an object';
  if (value.failure !== undefined) {
    const failure = value.failure;
    if (typeof failure !== 'string' || !(UPSTREAM_FAILURES as readonly string[]).includes(failure)) {
      return `\`upstream.failure\` must be one of ${UPSTREAM_FAILURES.join(', ')}`;
    }
    return {
      kind: 'failure',
      failure: failure as UpstreamFailure,
      cause: 'given in the explain request',
      ms: 0,
    };
  }
  const status = value.status ?? 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    return '`upstream.status` must be an HTTP status (100–599)';
  const headers: Record<string, string> = {};
  if (value.headers !== undefined) {
    const pairs = readHeaders(value.headers);
    if (typeof pairs === 'string') return `upstream.headers: ${pairs}`;
    for (const [name, v] of pairs) headers[name.toLowerCase()] = v;
  }
  const body = readBody(value.body, 'upstream.body');
  if (!body.ok) return body.error;
  return { kind: 'response', status, headers, body: Buffer.from(body.text, 'utf8'), ms: 0 };
}

/** What the pipeline reads from the request: the device and the request facts. */
export interface ExplainSubject {
  readonly device: DeviceFacts;
  readonly request: RequestFacts;
}

/** Reads the device and the request facts exactly as the OTA check does. */
export function readSubject(
  request: ExplainRequest,
  { config, tls }: { config: Config; tls: boolean },
): ExplainSubject {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return {
    device: readDevice(headers, request.body),
    request: readRequestFacts({ peer: request.peer, headers, tls, config }),
  };
}

export interface ExplainState {
  readonly config: Config;
  readonly catalog: Catalog | null;
  readonly now: number;
  /** What the fallback remembers for this device. */
  readonly remembered: RememberedDevice | null;
  readonly lastUpstreamOffset: number | null;
  /** Whether the live breaker is open (devices then get the fallback without the upstream being asked). */
  readonly breakerOpen?: boolean;
  /**
   * The fleet's say in the offer (blocks, halts, download tokens): a `FleetService` check plan begun with
   * `track: false`, so the decision is a device's and nothing is recorded (docs/fleet.md "Principles").
   */
  readonly fleetDecide?: (decide: (gate: OfferGate) => FirmwareDecision) => FirmwareDecision;
}

export type ExplainOutcome = 'rewritten' | 'passthrough' | 'fallback' | 'failed';

/** The answer when the device's body is over `limits.device_body_bytes`: 413 before anything goes upstream. */
export interface RejectedExplanation {
  readonly outcome: 'rejected';
  readonly reply: { readonly status: 413 };
  readonly reasons: readonly string[];
}

/** Explains a request the proxy refuses for its size (http/ota-check.ts answers 413 without asking the upstream). */
export function explainRejected(bodyBytes: number, limit: number): RejectedExplanation {
  return {
    outcome: 'rejected',
    reply: { status: 413 },
    reasons: [
      `the request body is ${bodyBytes} bytes, over limits.device_body_bytes (${limit}): the proxy answers 413 before asking the upstream`,
    ],
  };
}

/** The answer of `POST /admin/explain` (secrets redacted). */
export interface Explanation {
  readonly device: DeviceFacts;
  readonly request: {
    readonly address: string;
    readonly host: string | null;
    readonly origin: string;
    readonly trustedPeer: boolean;
  };
  readonly upstream: {
    readonly source: 'given' | 'live';
    readonly status: number | null;
    readonly ms: number;
    /** How the reply table reads it: an OTA reply (`sections`), an error shape, a 4xx, or a failure. */
    readonly verdict: 'sections' | 'other-object' | 'client-error' | 'failure';
    readonly failure: UpstreamFailure | null;
    readonly body: string | null;
  };
  readonly outcome: ExplainOutcome;
  readonly reply: {
    readonly status: number;
    readonly body: string;
    readonly json: JsonValue | null;
    readonly bytes: number;
  };
  readonly matched: MatchedItems;
  readonly rules: { readonly applied: readonly string[]; readonly notes: readonly string[] };
  readonly repairs: readonly string[];
  readonly firmware: FirmwareExplanation;
  readonly diff: readonly DiffEntry[];
  /** The story in sentences, in pipeline order. */
  readonly reasons: readonly string[];
}

export interface MatchedItems {
  readonly rewrite: readonly {
    readonly index: number;
    readonly from: string;
    readonly to: string;
    readonly matches: boolean;
  }[];
  /** `null` when `websocket` is not configured; `index: null` when no item matches. */
  readonly websocket: { readonly index: number | null; readonly url: string | null } | null;
  readonly mqtt: { readonly index: number | null; readonly mode: 'keep' | 'strip' };
  readonly serverTime: { readonly index: number | null; readonly zone: string };
}

export interface FirmwareExplanation {
  readonly offered: {
    readonly board: string;
    readonly version: string;
    readonly file: string;
    readonly url: string;
    readonly force: boolean;
  } | null;
  readonly reason: string | null;
  readonly detail: string | null;
}

/** Runs the pipeline for one request and upstream reply; pure. The reply is read as the OTA check reads it. */
export function explainCheck({
  subject,
  upstream,
  source,
  state,
}: {
  subject: ExplainSubject;
  upstream: UpstreamExchange;
  source: 'given' | 'live';
  state: ExplainState;
}): Explanation {
  const { config } = state;
  const { device, request } = subject;
  const offerInput = { catalog: state.catalog, device, origin: request.origin, publicUrl: config.publicUrl };
  const ctx: RuleContext = {
    config,
    device,
    request,
    now: state.now,
    offer:
      state.fleetDecide === undefined
        ? decideOffer(offerInput)
        : state.fleetDecide((gate) => decideOffer({ ...offerInput, gate })),
  };
  const reasons: string[] = [];
  if (state.breakerOpen === true && source === 'live') {
    reasons.push(
      'the circuit breaker is open: devices get the fallback reply right now without the upstream being asked',
    );
  }
  const verdict = judgeUpstream(upstream);
  const upstreamText = upstream.kind === 'response' ? upstream.body.toString('utf8') : null;
  const upstreamPart: Explanation['upstream'] = {
    source,
    status: upstream.kind === 'response' ? upstream.status : (upstream.status ?? null),
    ms: upstream.ms,
    verdict: verdict.kind,
    failure: verdict.kind === 'failure' ? verdict.failure : null,
    body: upstreamText === null ? null : redactSecrets(upstreamText),
  };
  reasons.push(describeVerdict(verdict));
  const upstreamJson = verdict.kind === 'sections' || verdict.kind === 'other-object' ? verdict.body : null;
  const decision = decideReply(verdict, ctx, {
    recall: () => state.remembered,
    lastUpstreamOffset: state.lastUpstreamOffset,
  });
  const { outcome, status, notes, repairs } = decision;
  const applied = decision.rules;
  const body = typeof decision.body === 'string' ? decision.body : decision.body.toString('utf8');
  for (const step of decision.steps) reasons.push(describeStep(step, status));

  const matched = matchItems(config, ctx);
  reasons.push(...describeMatches(matched, config));
  for (const rule of applied) reasons.push(`rule ${rule} changed the reply`);
  for (const note of notes) reasons.push(note);
  for (const repair of repairs) reasons.push(`guard: ${repair}`);
  const firmware = explainFirmware(ctx.offer);
  reasons.push(
    firmware.offered
      ? `firmware: offering ${firmware.offered.version} (${firmware.offered.file})${firmware.offered.force ? ' with force: 1' : ''}`
      : `firmware: nothing offered from the catalog — ${firmware.reason}: ${firmware.detail}`,
  );

  // A download token is shown shortened (docs/fleet.md "Download tokens").
  const shown = shortenTokens(body);
  const replyJson = status === 200 ? parsedJson(shown) : null;
  const redactedReply = replyJson === null ? null : redactJson(replyJson);
  return {
    device,
    request: {
      address: request.address,
      host: request.host,
      origin: originText(request.origin),
      trustedPeer: request.trustedPeer,
    },
    upstream: upstreamPart,
    outcome,
    reply: {
      status,
      body: redactSecrets(shown),
      json: redactedReply,
      bytes: Buffer.byteLength(body, 'utf8'),
    },
    matched,
    rules: { applied: [...applied], notes },
    repairs: [...repairs],
    firmware,
    diff: diffJson(upstreamJson === null ? undefined : redactJson(upstreamJson), redactedReply ?? undefined),
    reasons,
  };
}

/** The decision's steps, as sentences (the table itself is gateway/reply-table.ts, shared with the OTA check). */
function describeStep(step: ReplyStep, status: number): string {
  switch (step.kind) {
    case 'reply-too-large':
      return step.after === 'guard'
        ? `the reply is ${step.bytes} bytes after the guard (it must stay under ${MAX_REPLY_BYTES}): it counts as an upstream failure`
        : `the error body is ${step.bytes} bytes after the size rule (it must stay under ${MAX_REPLY_BYTES}): it counts as an upstream failure`;
    case 'fallback-off':
      return `fallback is off: the device gets ${status} and retries`;
    case 'fallback-no-transport':
      return `the fallback knows no transport for this device (nothing remembered, no websocket item matches): the device gets ${status}`;
    case 'fallback-too-large':
      return `the fallback reply is over 4 KiB: the device gets ${status}`;
    case 'fallback-transport-dropped':
      return `the guard dropped the remembered transport the device could not use: the device gets ${status}`;
    case 'fallback-answered':
      return step.from === 'remembered'
        ? "the fallback answers with this device's remembered websocket section"
        : 'the fallback answers with the matching websocket item';
    default: {
      const never: never = step;
      throw new Error(`unhandled step ${JSON.stringify(never)}`);
    }
  }
}

function describeVerdict(verdict: Verdict): string {
  switch (verdict.kind) {
    case 'sections':
      return `the upstream sent an OTA reply (${Object.keys(verdict.body).join(', ')}): rules and guard apply`;
    case 'other-object':
      return 'the upstream sent a JSON object without OTA sections (an error shape): passed on with the size rule only';
    case 'client-error':
      return `the upstream answered ${verdict.status}: passed on with that status`;
    case 'failure':
      return `the upstream exchange failed (${verdict.failure}): fallback, else ${failureStatus(verdict.failure)}`;
    default: {
      const never: never = verdict;
      throw new Error(`unhandled verdict ${JSON.stringify(never)}`);
    }
  }
}

/** Which item of each part of the config applies to this request (docs/configuration.md "Conditions"). */
function matchItems(config: Config, ctx: RuleContext): MatchedItems {
  const input = matchInputOf(ctx);
  const { origin } = ctx.request;
  const firstIndex = <T extends { readonly when: RewriteRule['when'] }>(
    items: readonly T[],
  ): number | null => {
    const i = items.findIndex((item) => matchesCondition(item.when, input));
    return i < 0 ? null : i;
  };
  const wsIndex = config.websocket === null ? null : firstIndex(config.websocket);
  const wsItem = wsIndex === null || config.websocket === null ? null : config.websocket[wsIndex];
  const mqttIndex = firstIndex(config.mqtt);
  const timeIndex = firstIndex(config.serverTime);
  const zone = timeIndex === null ? null : config.serverTime[timeIndex]?.zone;
  return {
    rewrite: config.rewrite.map((rule, index) => ({
      index,
      from: redactUrl(rule.from),
      to: redactUrl(renderTemplate(rule.to, origin, 'http')),
      matches: matchesCondition(rule.when, input),
    })),
    websocket:
      config.websocket === null
        ? null
        : { index: wsIndex, url: wsItem ? redactUrl(renderTemplate(wsItem.url, origin, 'ws')) : null },
    mqtt: { index: mqttIndex, mode: mqttIndex === null ? 'keep' : (config.mqtt[mqttIndex]?.mode ?? 'keep') },
    serverTime: {
      index: timeIndex,
      zone:
        zone === undefined || zone === null
          ? 'upstream'
          : zone.kind === 'upstream'
            ? 'upstream'
            : zone.kind === 'zone'
              ? zone.name
              : `offset ${zone.offsetMinutes} min`,
    },
  };
}

function describeMatches(m: MatchedItems, config: Config): string[] {
  const out: string[] = [];
  for (const r of m.rewrite)
    out.push(
      `rewrite[${r.index}] ${r.matches ? 'matches' : 'does not match'} this device (${r.from} → ${r.to})`,
    );
  if (m.websocket === null) out.push('websocket is not configured: the upstream URL stays (after rewrite)');
  else if (m.websocket.index === null)
    out.push('no websocket item matches this device: the upstream URL stays');
  else
    out.push(
      `${itemLabel('websocket', m.websocket.index, config.websocket?.length ?? 0)} matches: ${m.websocket.url}`,
    );
  out.push(
    m.mqtt.index === null
      ? 'no mqtt item matches: mqtt is kept'
      : `${itemLabel('mqtt', m.mqtt.index, config.mqtt.length)} matches: ${m.mqtt.mode}`,
  );
  out.push(
    m.serverTime.index === null
      ? 'no server_time item matches: upstream values kept'
      : `${itemLabel('server_time', m.serverTime.index, config.serverTime.length)} matches: ${m.serverTime.zone}`,
  );
  return out;
}

function itemLabel(key: string, index: number, length: number): string {
  return length > 1 ? `${key}[${index}]` : key;
}

function explainFirmware(offer: FirmwareDecision): FirmwareExplanation {
  switch (offer.kind) {
    case 'offer':
      return {
        offered: {
          board: offer.entry.board,
          version: offer.version,
          file: offer.entry.file,
          url: redactUrl(shortenTokens(offer.url)),
          force: offer.force,
        },
        reason: null,
        detail: null,
      };
    case 'none':
      return { offered: null, reason: offer.reason, detail: offer.detail };
    default: {
      const never: never = offer;
      throw new Error(`unhandled offer ${JSON.stringify(never)}`);
    }
  }
}

function parsedJson(text: string): JsonValue | null {
  const parsed = parseJson(text);
  return parsed.ok ? parsed.value : null;
}

function originText({ scheme, host, port }: { scheme: string; host: string; port: number }): string {
  return `${scheme}://${host}:${port}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
