/**
 * Rule 1, `rewrite` (docs/configuration.md "Rules, in order"): prefix replacement on `websocket.url` and
 * `firmware.url`. Every matching rule applies, in order, each to the result of the previous; `to` is a
 * template rendered from the request's origin (`{scheme}` is ws/wss inside the websocket URL).
 */
import type { Origin, RewriteRule } from '../../config/types.js';
import { renderTemplate } from '../../config/template.js';
import { matchesCondition } from '../../match/when.js';
import type { MatchInput } from '../../match/types.js';
import { isJsonObject, ownMember, withMember } from '../folded-json.js';
import { matchInputOf } from '../match-input.js';
import { defineRule, type JsonObject } from '../types.js';
import { isPlaceholderUrl } from './firmware-offer.js';

/** Applies every matching `rewrite` rule to one URL, in order; `flavour` is the URL's own kind. */
export function rewriteUrl(
  url: string,
  rewrite: readonly RewriteRule[],
  { input, origin, flavour }: { input: MatchInput; origin: Origin; flavour: 'http' | 'ws' },
): string {
  let out = url;
  for (const rule of rewrite) {
    // An empty `from` would prefix every URL; the config loader refuses it, and this stays safe regardless.
    if (rule.from === '' || !out.startsWith(rule.from) || !matchesCondition(rule.when, input)) continue;
    out = renderTemplate(rule.to, origin, flavour) + out.slice(rule.from.length);
  }
  return out;
}

export const rewriteUrls = defineRule({
  name: 'rewrite',
  apply(body, ctx) {
    const { rewrite } = ctx.config;
    if (rewrite.length === 0) return { body, applied: false };
    const input = matchInputOf(ctx);
    const { origin } = ctx.request;
    let out: JsonObject = body;

    const ws = ownMember(out, 'websocket');
    if (isJsonObject(ws)) {
      const url = ownMember(ws, 'url');
      if (typeof url === 'string') {
        const next = rewriteUrl(url, rewrite, { input, origin, flavour: 'ws' });
        if (next !== url) out = withMember(out, 'websocket', withMember(ws, 'url', next));
      }
    }

    const fw = ownMember(out, 'firmware');
    if (isJsonObject(fw)) {
      const url = ownMember(fw, 'url');
      // The Java upstream's "nothing to download" placeholder stays recognisable (docs/upstream.md).
      if (typeof url === 'string' && url !== '' && !isPlaceholderUrl(url)) {
        const next = rewriteUrl(url, rewrite, { input, origin, flavour: 'http' });
        if (next !== url) out = withMember(out, 'firmware', withMember(fw, 'url', next));
      }
    }
    return { body: out, applied: out !== body };
  },
});
