/**
 * The rule pipeline (docs/configuration.md "Rules, in order"; docs/contributing.md §3): an explicit ordered list of small named
 * rules, each returning new data. The device guard is not part of it: it is the last stage of every reply
 * (serialize.ts), whichever path produced it.
 */
import { firmwareOffer } from './rules/firmware-offer.js';
import { rewriteUrls } from './rules/rewrite-urls.js';
import { serverTime } from './rules/server-time.js';
import { stripMqtt } from './rules/strip-mqtt.js';
import { websocketUrl } from './rules/websocket-url.js';
import type { JsonObject, Rule, RuleContext } from './types.js';

/** Steps 1–5, in the order docs/configuration.md gives, each named after its config key; each sees the result of the one before. */
export const rules: readonly Rule[] = [rewriteUrls, websocketUrl, stripMqtt, serverTime, firmwareOffer];

/** Runs every rule on the folded upstream body; `applied` names the rules that changed it, `notes` say why others held back. */
export function runRules(
  body: JsonObject,
  ctx: RuleContext,
): { body: JsonObject; applied: string[]; notes: string[] } {
  let current = body;
  const applied: string[] = [];
  const notes: string[] = [];
  for (const rule of rules) {
    const outcome = rule.apply(current, ctx);
    current = outcome.body;
    if (outcome.applied) applied.push(rule.name);
    if (outcome.note !== undefined) notes.push(`${rule.name}: ${outcome.note}`);
  }
  return { body: current, applied, notes };
}
