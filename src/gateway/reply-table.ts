/**
 * docs/configuration.md "Which reply a device gets", as one pure decision: the upstream's verdict in, the reply out —
 * rules and guard, the error shapes, 4xx, or the fallback (else 502/504). The OTA check writes it;
 * /admin/explain describes it. Neither re-implements the table.
 */
import { buildFallbackBody, namesTransport } from '../fallback/fallback-reply.js';
import type { RememberedDevice } from '../fallback/device-memory.js';
import { runRules } from '../rewrite/pipeline.js';
import { finishReply, sizeRuleOnly, type FinishedReply } from '../rewrite/serialize.js';
import type { JsonObject, RuleContext } from '../rewrite/types.js';
import type { DeviceFacts } from '../device/types.js';
import { failureStatus, type UpstreamFailure } from './upstream-failure.js';

/** What the upstream's answer means for the device (the reply table, row by row). */
export type Verdict =
  | { readonly kind: 'sections'; readonly body: JsonObject; readonly text: string }
  | { readonly kind: 'other-object'; readonly body: JsonObject; readonly text: string }
  | {
      readonly kind: 'client-error';
      readonly status: number;
      readonly contentType: string | undefined;
      readonly body: Buffer;
    }
  | { readonly kind: 'failure'; readonly failure: UpstreamFailure; readonly cause: unknown };

/** Why the decision went the way it did, for /admin/explain's sentences and the log's notes. */
export type ReplyStep =
  | { readonly kind: 'reply-too-large'; readonly after: 'guard' | 'size-rule'; readonly bytes: number }
  | { readonly kind: 'fallback-off' }
  | { readonly kind: 'fallback-no-transport' }
  | { readonly kind: 'fallback-too-large'; readonly bytes: number }
  | { readonly kind: 'fallback-transport-dropped' }
  | { readonly kind: 'fallback-answered'; readonly from: 'remembered' | 'item' };

export interface ReplyDecision {
  readonly outcome: 'rewritten' | 'passthrough' | 'fallback' | 'failed';
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string | Buffer;
  /** The JSON object sent when the upstream's reply was rewritten: what the fallback memory reads. */
  readonly sent: JsonObject | null;
  readonly rules: readonly string[];
  readonly notes: readonly string[];
  readonly repairs: readonly string[];
  /** The failure behind a reply that is not the upstream's own (fallback, failed). */
  readonly failure: UpstreamFailure | null;
  readonly cause: unknown;
  /** How the breaker counts the exchange: 2xx and 4xx are successes, everything in the failure row is not. */
  readonly breaker: 'success' | 'failure';
  readonly steps: readonly ReplyStep[];
}

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export interface ReplyState {
  /** The device's remembered sections; called only when the fallback needs them (a recall marks it recently seen). */
  readonly recall: () => RememberedDevice | null;
  /** The last `timezone_offset` the upstream sent (minutes). */
  readonly lastUpstreamOffset: number | null;
}

/**
 * An object without any of the four sections gets only the size rule — unless it carries `activation`: that
 * is no error shape, devices act on it (≤ v1.5.9 on any `activation` key, v1.6.0 crashes on a non-string
 * `code`), so it passes the device guard like every OTA reply (docs/device-contract.md §3, §7).
 */
export function replyWithoutSections(body: JsonObject, text: string, device: DeviceFacts): FinishedReply {
  return Object.hasOwn(body, 'activation') ? finishReply(body, device) : sizeRuleOnly(body, text);
}

export function decideReply(first: Verdict, ctx: RuleContext, state: ReplyState): ReplyDecision {
  const steps: ReplyStep[] = [];
  let verdict = first;
  const ok = (
    fields: Omit<ReplyDecision, 'breaker' | 'steps' | 'failure' | 'cause' | 'contentType'> & {
      contentType?: string | undefined;
    },
  ): ReplyDecision => ({
    contentType: JSON_TYPE,
    ...fields,
    failure: null,
    cause: undefined,
    breaker: 'success',
    steps,
  });
  if (verdict.kind === 'sections') {
    const ran = runRules(verdict.body, ctx);
    const finished = finishReply(ran.body, ctx.device);
    if (finished.kind === 'ok') {
      return ok({
        outcome: 'rewritten',
        status: 200,
        body: finished.json,
        sent: finished.body,
        rules: ran.applied,
        notes: ran.notes,
        repairs: finished.repairs,
      });
    }
    steps.push({ kind: 'reply-too-large', after: 'guard', bytes: finished.bytes });
    verdict = {
      kind: 'failure',
      failure: 'reply-too-large',
      cause: `reply ${finished.bytes} bytes after the guard`,
    };
  }
  if (verdict.kind === 'other-object') {
    // The upstream's error shapes ({"success":false,…}, {"error":…}) reach the device untouched but re-framed.
    const sized = replyWithoutSections(verdict.body, verdict.text, ctx.device);
    if (sized.kind === 'ok')
      return ok({
        outcome: 'passthrough',
        status: 200,
        body: sized.json,
        sent: null,
        rules: [],
        notes: [],
        repairs: sized.repairs,
      });
    steps.push({ kind: 'reply-too-large', after: 'size-rule', bytes: sized.bytes });
    verdict = {
      kind: 'failure',
      failure: 'reply-too-large',
      cause: `reply ${sized.bytes} bytes after the size rule`,
    };
  }
  if (verdict.kind === 'client-error') {
    return ok({
      outcome: 'passthrough',
      status: verdict.status,
      contentType: verdict.contentType,
      body: verdict.body,
      sent: null,
      rules: [],
      notes: [],
      repairs: [],
    });
  }
  const { failure, cause } = verdict;
  const notes = [`upstream ${failure}`];
  const failed = (step: ReplyStep, note: string | null): ReplyDecision => {
    steps.push(step);
    const status = failureStatus(failure);
    return {
      outcome: 'failed',
      status,
      contentType: TEXT_TYPE,
      body: status === 504 ? 'upstream OTA server timed out\n' : 'upstream OTA server failed\n',
      sent: null,
      rules: [],
      notes: note === null ? notes : [...notes, note],
      repairs: [],
      failure,
      cause,
      breaker: 'failure',
      steps,
    };
  };
  if (!ctx.config.fallback.enabled) return failed({ kind: 'fallback-off' }, null);
  const remembered = state.recall();
  const fallback = buildFallbackBody(ctx, remembered, state.lastUpstreamOffset);
  if (fallback.kind === 'no-transport')
    return failed({ kind: 'fallback-no-transport' }, 'fallback: no transport known for this device');
  const finished = finishReply(fallback.body, ctx.device);
  if (finished.kind === 'too-large')
    return failed({ kind: 'fallback-too-large', bytes: finished.bytes }, 'fallback reply over 4 KiB');
  // The guard may drop a remembered section the device cannot use; a reply left without a transport would
  // push the device onto stale MQTT settings, so it is not sent (docs/configuration.md "Fallback reply").
  if (!namesTransport(finished.body))
    return failed({ kind: 'fallback-transport-dropped' }, 'fallback: no usable transport after the guard');
  steps.push({ kind: 'fallback-answered', from: remembered?.websocket ? 'remembered' : 'item' });
  return {
    outcome: 'fallback',
    status: 200,
    contentType: JSON_TYPE,
    body: finished.json,
    sent: null,
    rules: fallback.applied,
    notes,
    repairs: finished.repairs,
    failure,
    cause,
    breaker: 'failure',
    steps,
  };
}
