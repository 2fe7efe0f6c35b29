/**
 * The admin endpoints' gate: `Authorization: Bearer <admin.token>` (RFC 6750 §2.1), compared in constant
 * time. Both sides are hashed first so `timingSafeEqual` always compares equal-length digests and the
 * comparison leaks neither the token's bytes nor its length. With no token configured the endpoints are off.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/** Why a request was let in or not. */
export type AdminAccess = 'off' | 'missing' | 'wrong' | 'granted';

/** The token of an `Authorization` header (`Bearer` is case-insensitive, RFC 9110 §11.1), or `null` when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Constant-time equality of two secrets of any length. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Decides access for one `Authorization` header against the configured token (`null` = admin off). */
export function adminAccess(header: string | undefined, token: string | null): AdminAccess {
  if (token === null) return 'off';
  const given = bearerToken(header);
  if (given === null) return 'missing';
  return sameSecret(given, token) ? 'granted' : 'wrong';
}

/**
 * Hono middleware for `/admin/*`: 404 when no token is configured (the endpoints do not exist), 401 with
 * `WWW-Authenticate` when the token is missing or wrong. `token` is read per request: reloads apply.
 */
export function requireAdminToken(token: () => string | null): MiddlewareHandler {
  return async (c, next) => {
    const access = adminAccess(c.req.header('authorization'), token());
    c.header('Cache-Control', 'no-store');
    switch (access) {
      case 'off':
        return c.json({ error: 'not found' }, 404);
      case 'missing':
        c.header('WWW-Authenticate', 'Bearer realm="xiaozhi-ota-proxy"');
        return c.json({ error: 'unauthorized', detail: 'send Authorization: Bearer <admin.token>' }, 401);
      case 'wrong':
        c.header('WWW-Authenticate', 'Bearer realm="xiaozhi-ota-proxy", error="invalid_token"');
        return c.json({ error: 'unauthorized', detail: 'the token does not match admin.token' }, 401);
      case 'granted':
        await next();
        return;
      default: {
        const never: never = access;
        throw new Error(`unhandled access ${String(never)}`);
      }
    }
  };
}
