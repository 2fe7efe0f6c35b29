/**
 * `GET` on the OTA path: the upstream's status sentence (upstream-captures/python-get.response.http,
 * java-get.response.http) with the `rewrite` rules applied to every URL in it and the websocket address
 * replaced by the matching `websocket` item's URL (docs/configuration.md "Which reply a device gets"). Everything else,
 * the word "OTA" included, stays as sent: people open this URL to check a deployment.
 */
import { renderTemplate } from '../config/template.js';
import { firstMatching } from '../match/when.js';
import { matchInputOf } from './match-input.js';
import { rewriteUrl } from './rules/rewrite-urls.js';
import type { RuleContext } from './types.js';

/**
 * An absolute URL: scheme, `://`, then RFC 3986 characters only, so it ends at blanks, quotes and the
 * full-width punctuation of the Chinese sentences (`：`, `，`).
 */
const URL_PATTERN = /\b(?:https?|wss?):\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/g;

/** Rewrites the URLs inside the upstream's `GET` text for this request. */
export function rewriteGetText(
  text: string,
  ctx: Pick<RuleContext, 'config' | 'device' | 'request'>,
): string {
  const input = matchInputOf(ctx);
  const { origin } = ctx.request;
  const websocket = ctx.config.websocket === null ? null : firstMatching(ctx.config.websocket, input);
  return text.replace(URL_PATTERN, (match) => {
    // Sentence punctuation after a URL (`… ws://host/path/.`) belongs to the sentence, not the URL.
    const tail = /[.,;:!?')]+$/.exec(match)?.[0] ?? '';
    const url = match.slice(0, match.length - tail.length);
    const isWebsocket = url.startsWith('ws://') || url.startsWith('wss://');
    // Rule 2 wins over rule 1 for the websocket address, as in the JSON reply.
    if (isWebsocket && websocket !== null) return renderTemplate(websocket.url, origin, 'ws') + tail;
    return (
      rewriteUrl(url, ctx.config.rewrite, { input, origin, flavour: isWebsocket ? 'ws' : 'http' }) + tail
    );
  });
}
