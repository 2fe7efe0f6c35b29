/**
 * The web console at `/admin/console/` (docs/console.md), mounted by admin/operator-app.ts on the admin
 * listener. Server-rendered with hono/jsx; reading works with JavaScript off; every change is a form
 * POSTed here that calls the same fleet service as the JSON API, so the audit says `console`.
 *
 * Gates, in order: security headers on every answer (a strict CSP: our own stylesheet and script only);
 * the hashed assets and the login and language routes are open; everything else needs a valid session
 * cookie (session.ts); every POST but the login also needs the session's CSRF token and no foreign
 * `Origin`.
 */
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import type { Child } from 'hono/jsx';
import type { CatalogStatus } from '../../runtime/catalog-store.js';
import type { ProxyState } from '../../runtime/proxy-state.js';
import type { Operations } from '../../operations/operations.js';
import { MAX_IMAGE_BYTES } from '../../operations/firmware-upload.js';
import { pickLanguage, type Language } from '../../i18n/languages.js';
import { translator } from '../../i18n/translate.js';
import { unmapAddress } from '../../match/cidr.js';
import type { Actor } from '../../fleet/types.js';
import type { VoiceStats } from '../../voice/voice-proxy.js';
import type { ExchangeLog } from '../exchanges.js';
import type { UpstreamWatch } from '../health.js';
import { ASSETS } from './assets.js';
import type { CheckRate } from './check-rate.js';
import { auditRoutes } from './pages/audit.js';
import { deviceRoutes } from './pages/devices.js';
import { firmwareRoutes } from './pages/firmware.js';
import { overviewPage } from './pages/overview.js';
import {
  csrfHolds,
  csrfToken,
  issueSession,
  readSession,
  sameText,
  SESSION_COOKIE,
  SESSION_LIFETIME_MS,
  sessionKey,
  type ConsoleSession,
} from './session.js';
import { LoginPage, MessagePage, type LoginNote } from './views/login.js';
import { BASE, type View } from './views/parts.js';

export const LANGUAGE_COOKIE = 'xop_lang';
/** Form posts other than an upload carry a few fields. */
const FORM_LIMIT_BYTES = 64 * 1024;

export interface ConsoleDeps {
  readonly state: ProxyState;
  readonly exchanges: ExchangeLog;
  readonly upstream: UpstreamWatch;
  readonly catalogStatus: () => CatalogStatus | null;
  readonly readinessChecks?: () => Readonly<Record<string, string>>;
  readonly checkRate: CheckRate;
  /** The voice proxy's sessions on this replica, when it carries them. */
  readonly voice: () => VoiceStats | null;
  /** The operator's actions, the same services as `/admin/api/…` (src/operations/): the same checks and audit. */
  readonly operations: Operations;
}

/** What the gates leave on the context for the pages. */
export interface ConsoleEnv {
  Variables: {
    lang: Language;
    view: View;
    session: ConsoleSession;
    key: Buffer;
    /** The parsed form of a POST (read once by the CSRF gate). */
    form: Record<string, string | File>;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

/** Renders a page with the console's answer headers. */
export async function page(
  c: ConsoleContext,
  body: Child,
  status: 200 | 400 | 403 | 404 | 409 | 422 = 200,
): Promise<Response> {
  return c.html(html`<!DOCTYPE html>${body}`, status);
}

/** The console's actor for the audit: `console`, from the browser's address. */
export function actorOf(c: ConsoleContext): Actor {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return { means: 'console', address: unmapAddress(incoming?.socket.remoteAddress ?? '127.0.0.1') };
}

/** Redirects (303, so a POST becomes a GET) to a console path. */
export function back(c: ConsoleContext, path: string) {
  return c.redirect(`${BASE}${path}`, 303);
}

export function consoleRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const token = (): string | null => deps.state.config().admin.token;
  let derived: { token: string; key: Buffer } | null = null;
  const keyOf = (value: string): Buffer => {
    if (derived?.token !== value) derived = { token: value, key: sessionKey(value) };
    return derived.key;
  };

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      xFrameOptions: 'DENY',
      // same-origin: the console's own form posts carry their Origin (no-referrer would make it `null`).
      referrerPolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      crossOriginResourcePolicy: 'same-origin',
      strictTransportSecurity: false,
    }),
  );

  for (const asset of ASSETS)
    app.get(asset.path, (c) => {
      c.header('Content-Type', asset.type);
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(asset.body);
    });

  // The language: the remembered choice, else the browser's, else English; the view for the page.
  app.use('*', async (c, next) => {
    const lang = pickLanguage({
      explicit: getCookie(c, LANGUAGE_COOKIE) ?? null,
      acceptLanguage: c.req.header('accept-language') ?? null,
    });
    c.set('lang', lang);
    const url = new URL(c.req.url);
    c.set('view', {
      t: translator(lang),
      lang,
      now: deps.state.now(),
      csrf: null,
      here: safeNext(url.pathname + url.search),
    });
    c.header('Content-Language', lang);
    await next();
  });

  app.get('/language/:lang', (c) => {
    const chosen = c.req.param('lang') === 'zh-CN' ? 'zh-CN' : 'en';
    setCookie(c, LANGUAGE_COOKIE, chosen, {
      path: `${BASE}/`,
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      maxAge: 365 * 24 * 3600,
    });
    return c.redirect(safeNext(c.req.query('back')), 303);
  });

  app.get('/login', (c) => {
    const note = c.req.query('note');
    const shown: LoginNote = note === 'expired' || note === 'logged-out' ? note : null;
    return page(c, LoginPage({ view: c.var.view, note: shown, next: safeNext(c.req.query('next')) }));
  });

  app.post('/login', bodyLimit({ maxSize: FORM_LIMIT_BYTES }), async (c) => {
    if (foreignOrigin(c)) return refused(c);
    const form = await c.req.parseBody();
    const expected = token();
    const given = typeof form.token === 'string' ? form.token.trim() : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    if (expected === null || given === '' || !sameText(given, expected)) {
      deps.state.logger.warn({ address: actorOf(c).address }, 'console login refused: wrong token');
      return page(c, LoginPage({ view: c.var.view, note: 'wrong', next }), 403);
    }
    const { value } = issueSession(keyOf(expected), deps.state.now());
    setCookie(c, SESSION_COOKIE, value, {
      path: '/admin/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      maxAge: Math.floor(SESSION_LIFETIME_MS / 1000),
    });
    return c.redirect(next, 303);
  });

  // Everything below needs a session.
  app.use('*', async (c, next) => {
    const expected = token();
    const cookie = getCookie(c, SESSION_COOKIE);
    const key = expected === null ? null : keyOf(expected);
    const session = key === null ? null : readSession(key, cookie, deps.state.now());
    if (key === null || session === null) {
      const to = `${BASE}/login?next=${encodeURIComponent(c.req.method === 'GET' ? c.var.view.here : `${BASE}/`)}`;
      return c.redirect(cookie === undefined ? to : `${to}&note=expired`, 303);
    }
    c.set('session', session);
    c.set('key', key);
    c.set('view', { ...c.var.view, csrf: csrfToken(key, session) });
    await next();
  });

  // Every state-changing request: a POST with this session's CSRF token, from no other site.
  app.use('*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.method !== 'POST') return c.text('method not allowed', 405);
    if (foreignOrigin(c)) return refused(c);
    const uploading = c.req.path === `${BASE}/firmware/preview`;
    // An image and a few fields; bodyLimit counts the bytes as they come (a chunked body has no length).
    const limit = bodyLimit({
      maxSize: uploading ? MAX_IMAGE_BYTES + FORM_LIMIT_BYTES : FORM_LIMIT_BYTES,
      onError: (ctx) => ctx.text('request body too large', 413),
    });
    return limit(c, async () => {
      let form: Record<string, string | File>;
      try {
        form = (await c.req.parseBody()) as Record<string, string | File>;
      } catch {
        c.res = await refused(c as ConsoleContext);
        return;
      }
      if (!csrfHolds(c.var.key, c.var.session, form._csrf)) {
        c.res = await refused(c as ConsoleContext);
        return;
      }
      c.set('form', form);
      await next();
    });
  });

  app.post('/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/admin/', secure: isHttps(c) });
    return c.redirect(`${BASE}/login?note=logged-out`, 303);
  });

  // `/admin/console/` is the Overview; `/admin/console` (what a mounted `/` matches) sends there.
  app.get('/', (c) => c.redirect(`${BASE}/${new URL(c.req.url).search}`, 301));
  app.use('*', async (c, next) => {
    if (c.req.path === `${BASE}/` && (c.req.method === 'GET' || c.req.method === 'HEAD'))
      return overviewPage(c, deps);
    await next();
  });
  app.route('/devices', deviceRoutes(deps));
  app.route('/firmware', firmwareRoutes(deps));
  app.route('/audit', auditRoutes(deps));

  app.notFound((c) => {
    const view = (c.var as Partial<ConsoleEnv['Variables']>).view;
    if (view === undefined) return c.text('not found', 404);
    return page(
      c as ConsoleContext,
      MessagePage({
        view,
        title: view.t('console.not-found'),
        tone: 'warn',
        message: view.t('console.not-found'),
        back: `${BASE}/`,
      }),
      404,
    );
  });
  return app;
}

/** 403 for a missing or wrong CSRF token or a foreign Origin: nothing is done. */
function refused(c: ConsoleContext) {
  const view = c.var.view;
  return page(
    c,
    MessagePage({
      view,
      title: view.t('console.csrf.refused'),
      tone: 'bad',
      message: view.t('console.csrf.refused'),
      back: `${BASE}/`,
    }),
    403,
  );
}

/**
 * A request another site made the browser send: `Sec-Fetch-Site` other than `same-origin`/`none`, or an
 * `Origin` (browsers send it on every POST) that is not this console's own (`null` included).
 */
function foreignOrigin(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = c.req.header('origin');
  if (origin === undefined) return false;
  const host = c.req.header('host');
  try {
    return host === undefined || new URL(origin).host !== host;
  } catch {
    return true;
  }
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

/** A way back inside the console only (never another site, never another /admin path). */
export function safeNext(next: string | undefined): string {
  if (next === undefined) return `${BASE}/`;
  if (!(next === BASE || next.startsWith(`${BASE}/`) || next.startsWith(`${BASE}?`))) return `${BASE}/`;
  if (/[\\\s]|\/\/|\/\.\.?(\/|$|\?)/.test(next)) return `${BASE}/`;
  return next;
}
