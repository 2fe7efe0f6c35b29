/** The captured upstream OTA replies as the rules see them: folded by classifyUpstreamBody. */
import { readFileSync } from 'node:fs';
import { CAPTURES_DIR, header, readCapture } from './captures.js';
import { classifyUpstreamBody } from '../../src/rewrite/folded-json.js';
import type { JsonObject } from '../../src/rewrite/types.js';

/** The body text as the upstream sent it; chunked (Java) replies are read from the `.json` beside them. */
export function upstreamText(name: string): string {
  const message = readCapture(name, 'response');
  if (header(message, 'transfer-encoding') === undefined) return message.body.toString('utf8');
  return readFileSync(`${CAPTURES_DIR}${name}.json`, 'utf8');
}

/** The folded body of a capture that holds sections; throws for any other shape. */
export function upstreamReply(name: string): JsonObject {
  const result = classifyUpstreamBody(upstreamText(name));
  if (result.kind !== 'sections') throw new Error(`${name} is ${result.kind}, not an OTA reply`);
  return result.body;
}
