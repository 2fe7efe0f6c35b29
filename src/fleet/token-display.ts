/**
 * Download tokens as operators see them (docs/fleet.md "Download tokens": a token is shown shortened
 * wherever exchanges are displayed): the device part and the tag's first characters, never the whole tag.
 */
import { shortenToken } from './download-token.js';

/** `/firmware/<token>/` in a URL or a reply text. */
const TOKENED_PATH = /\/firmware\/([0-9a-f]{12}\.[A-Za-z0-9_-]{16})\//g;

/** The text with every download token in a `/firmware/<token>/` path shortened. */
export function shortenTokens(text: string): string {
  if (!text.includes('/firmware/')) return text;
  return text.replace(TOKENED_PATH, (_whole, token: string) => `/firmware/${shortenToken(token)}/`);
}
