/**
 * The console's login session and CSRF tokens, stateless so any replica accepts them (docs/console.md
 * "Sessions"): a cookie `<issued>.<expires>.<nonce>.<mac>` signed with HMAC-SHA256 under a key derived
 * from `admin.token`. Nothing is stored: changing `admin.token` changes the key and ends every session.
 *
 * CSRF: every state-changing form carries a token derived from the session's nonce under the same key (a
 * synchronizer token that needs no server state); the cookie is also `SameSite=Strict`, and a request
 * whose `Origin` names another site is refused before the token is even read.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a login lasts (there is no sliding renewal: log in again after it). */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export const SESSION_COOKIE = 'xop_console';

/** A verified session: its nonce ties the CSRF token to it. */
export interface ConsoleSession {
  readonly issued: number;
  readonly expires: number;
  readonly nonce: string;
}

/** The signing key for a token: a new token, a new key (every session and CSRF token made before is void). */
export function sessionKey(token: string): Buffer {
  return createHmac('sha256', 'xiaozhi-ota-proxy console session v1').update(token, 'utf8').digest();
}

function mac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

/** Same length and same bytes, in time independent of where they differ. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new session cookie value for `now`. */
export function issueSession(key: Buffer, now: number): { value: string; session: ConsoleSession } {
  const session = {
    issued: now,
    expires: now + SESSION_LIFETIME_MS,
    nonce: randomBytes(16).toString('base64url'),
  };
  const body = `${session.issued}.${session.expires}.${session.nonce}`;
  return { value: `${body}.${mac(key, `session|${body}`)}`, session };
}

/** The session a cookie value carries, when its signature holds under `key` and it has not expired. */
export function readSession(key: Buffer, value: string | undefined, now: number): ConsoleSession | null {
  if (value === undefined) return null;
  const parts = value.split('.');
  if (parts.length !== 4) return null;
  const [issuedText = '', expiresText = '', nonce = '', signature = ''] = parts;
  if (!/^\d{1,15}$/.test(issuedText) || !/^\d{1,15}$/.test(expiresText) || !/^[\w-]{16,64}$/.test(nonce))
    return null;
  if (!sameText(signature, mac(key, `session|${issuedText}.${expiresText}.${nonce}`))) return null;
  const issued = Number(issuedText);
  const expires = Number(expiresText);
  if (expires <= now || issued > now + 60_000 || expires - issued > SESSION_LIFETIME_MS) return null;
  return { issued, expires, nonce };
}

/** The CSRF token of a session (the hidden `_csrf` field of every form). */
export function csrfToken(key: Buffer, session: ConsoleSession): string {
  return mac(key, `csrf|${session.nonce}`);
}

/** Whether a form's `_csrf` belongs to this session. */
export function csrfHolds(key: Buffer, session: ConsoleSession, given: unknown): boolean {
  return typeof given === 'string' && sameText(given, csrfToken(key, session));
}
