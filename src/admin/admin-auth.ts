/**
 * The admin endpoints' gates. `/admin/…` exists only while `admin.token` is set (404 otherwise); the JSON
 * endpoints take `Authorization: Bearer <admin.token>` (RFC 6750 §2.1), checked by `hono/bearer-auth` with
 * its timing-safe comparison. The token is read per request, so a reload applies at once.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';

const REALM = 'xiaozhi-ota-proxy';

/** 404 `{"error":"not found"}` on every /admin path while `admin.token` is null: the endpoints do not exist. */
export function requireAdminOn(token: () => string | null): MiddlewareHandler {
  return async (c, next) => {
    c.header('Cache-Control', 'no-store');
    if (token() === null) return c.json({ error: 'not found' }, 404);
    await next();
  };
}

/**
 * `Authorization: Bearer <admin.token>`: 401 with a `WWW-Authenticate` challenge when it is missing (or is
 * not a Bearer credential), 401 `invalid_token` when it does not match. 404 while `admin.token` is null.
 */
export function requireAdminToken(token: () => string | null): MiddlewareHandler {
  let gate: { readonly token: string; readonly check: MiddlewareHandler } | null = null;
  return async (c, next) => {
    c.header('Cache-Control', 'no-store');
    const expected = token();
    if (expected === null) return c.json({ error: 'not found' }, 404);
    if (gate?.token !== expected) {
      // The config admits only what a Bearer credential can carry (RFC 6750 §2.1), so every token works.
      gate = { token: expected, check: bearerGate(expected) };
    }
    return gate.check(c, next);
  };
}

function bearerGate(token: string): MiddlewareHandler {
  const missing = `Bearer realm="${REALM}"`;
  return bearerAuth({
    token,
    realm: REALM,
    noAuthenticationHeader: {
      wwwAuthenticateHeader: missing,
      message: (c: Context) => unauthorized(c, missing, 'send Authorization: Bearer <admin.token>'),
    },
    // Another scheme, or a malformed credential, is no Bearer credential at all: the same 401 as none.
    invalidAuthenticationHeader: {
      wwwAuthenticateHeader: missing,
      message: (c: Context) => unauthorized(c, missing, 'send Authorization: Bearer <admin.token>'),
    },
    invalidToken: {
      wwwAuthenticateHeader: `Bearer realm="${REALM}", error="invalid_token"`,
      message: (c: Context) =>
        unauthorized(
          c,
          `Bearer realm="${REALM}", error="invalid_token"`,
          'the token does not match admin.token',
        ),
    },
  });
}

/** The 401 itself (hono/bearer-auth throws it as an HTTPException; the operator app answers with it). */
function unauthorized(c: Context, challenge: string, detail: string): Response {
  return c.json({ error: 'unauthorized', detail }, 401, {
    'WWW-Authenticate': challenge,
    'Cache-Control': 'no-store',
  });
}
