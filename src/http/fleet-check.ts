/**
 * The fleet's part in one OTA check (docs/fleet.md "What the proxy observes"): which checks are tracked,
 * and what the device reported and was sent, read from what the check already has. Nothing here waits:
 * the fleet decides from memory and writes behind.
 */
import type { IncomingMessage } from 'node:http';
import type { DeviceFacts, RequestFacts } from '../device/types.js';
import type { FirmwareDecision } from '../firmware/types.js';
import { DOCTOR_CHECK_HEADER } from '../fleet/doctor-mark.js';
import { sentOfferOf } from '../fleet/sent-offer.js';
import type { CheckObservation, CheckPlan } from '../fleet/service.js';
import { shortenTokens } from '../fleet/token-display.js';
import type { ReplyDecision, Verdict } from '../gateway/reply-table.js';
import type { UpstreamExchange } from '../gateway/upstream-verdict.js';
import { isWebsocketPresent } from '../rewrite/rules/websocket-url.js';
import type { JsonObject } from '../rewrite/types.js';
import type { ProxyState } from '../runtime/proxy-state.js';

/** Whether the fleet records this check: doctor's probes say they are doctor's (docs/fleet.md "Principles"). */
export function tracksCheck(req: IncomingMessage): boolean {
  return req.headers[DOCTOR_CHECK_HEADER] === undefined;
}

/**
 * Tells the fleet what the device reported and was sent, once the reply is written. A failure here is
 * logged and goes no further: the device already has its reply, which must not be cut.
 */
export function recordCheck(
  rt: ProxyState,
  plan: CheckPlan,
  device: DeviceFacts,
  input: Parameters<typeof checkObservation>[0],
): void {
  try {
    rt.fleet?.observeCheck(plan, device, checkObservation(input));
  } catch (err) {
    rt.logger.error({ err, device: plan.device }, 'fleet: recording a check failed');
  }
}

/** What `FleetService.observeCheck` is told once the reply is written. */
export function checkObservation({
  body,
  req,
  request,
  offer,
  verdict,
  result,
  decision,
}: {
  readonly body: Buffer;
  readonly req: IncomingMessage;
  readonly request: RequestFacts;
  readonly offer: FirmwareDecision;
  readonly verdict: Verdict;
  readonly result: UpstreamExchange | null;
  readonly decision: ReplyDecision;
}): CheckObservation {
  const sent = sentObject(decision, verdict);
  const firmware = sent === null ? null : sent.firmware;
  // The offer reached the device only if its reply carries the catalog's URL (a 200 with the rule applied).
  const offered =
    offer.kind === 'offer' && decision.status === 200 && isObject(firmware) && firmware.url === offer.url;
  const text = body.toString('latin1');
  return {
    flashSize: flashSizeOf(text),
    language: languageOf(text, req),
    address: request.address,
    status: decision.status,
    transport: sent === null ? null : transportOf(sent),
    outcome: decision.outcome,
    activation: sent !== null && Object.hasOwn(sent, 'activation'),
    offer: offered ? sentOfferOf(offer) : null,
    exchange: {
      upstream:
        result === null
          ? null
          : {
              status: result.kind === 'response' ? result.status : (result.status ?? null),
              ms: Math.round(result.ms),
              failure: decision.failure,
            },
      outcome: decision.outcome,
      status: decision.status,
      rules: decision.rules,
      repairs: decision.repairs,
      firmware:
        offer.kind === 'offer'
          ? { version: offer.version, url: shortenTokens(offer.url), force: offer.force, sent: offered }
          : { reason: offer.reason, detail: offer.detail },
    },
  };
}

/** The JSON object the device got: the rewritten reply, the upstream's other object, or the fallback's. */
function sentObject(decision: ReplyDecision, verdict: Verdict): JsonObject | null {
  if (decision.sent !== null) return decision.sent;
  if (decision.status !== 200) return null;
  if (decision.outcome === 'passthrough' && verdict.kind === 'other-object') return verdict.body;
  if (decision.outcome === 'fallback') {
    // The fallback is small (≤ 4 KiB) and rare: read back from the bytes sent.
    try {
      const parsed = JSON.parse(decision.body.toString()) as unknown;
      return isObject(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** The device uses MQTT when its reply carries an `mqtt` object, else the WebSocket (docs/device-contract.md §3). */
function transportOf(sent: JsonObject): 'websocket' | 'mqtt' | null {
  if (isObject(sent.mqtt)) return 'mqtt';
  return isWebsocketPresent(sent.websocket) ? 'websocket' : null;
}

const FLASH_SIZE = /"flash_size"\s*:\s*(\d{1,12})[,}\s]/;
const LANGUAGE = /"language"\s*:\s*"([A-Za-z0-9_-]{1,20})"/;

/** `flash_size` from the inventory, read from the raw text (the body may be invalid JSON). */
function flashSizeOf(text: string): number | null {
  const match = FLASH_SIZE.exec(text);
  return match === null ? null : Number(match[1]);
}

/** `language` from the inventory, else the `Accept-Language` header's first tag. */
function languageOf(text: string, req: IncomingMessage): string | null {
  const match = LANGUAGE.exec(text);
  if (match !== null) return match[1] ?? null;
  const header = req.headers['accept-language']?.split(',')[0]?.trim() ?? '';
  return /^[A-Za-z0-9_-]{1,20}$/.test(header) ? header : null;
}

/** The reply text as operators see it (/admin/exchanges): a tokened offer's URL with its token shortened. */
export function shownReply(text: string, offer: FirmwareDecision): string {
  return offer.kind === 'offer' ? shortenTokens(text) : text;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
