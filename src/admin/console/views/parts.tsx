/**
 * Pieces every console page uses: the page frame, state badges (a colour AND a word, never colour alone),
 * times, and the hidden CSRF field. Everything is rendered by hono/jsx, which escapes every text and
 * attribute value: device-sent strings are passed as values only, never as markup.
 */
import type { Child } from 'hono/jsx';
import type { Language } from '../../../i18n/languages.js';
import type { Translate } from '../../../i18n/translate.js';
import { SCRIPTFILE, STYLESHEET } from '../assets.js';

/** Where the console is mounted (docs/configuration.md "Fleet and hardening amendments": paths). */
export const BASE = '/admin/console';

/** What every page needs to know about the request it answers. */
export interface View {
  readonly t: Translate;
  readonly lang: Language;
  /** ms since the epoch. */
  readonly now: number;
  /** The session's CSRF token; `null` on the login page. */
  readonly csrf: string | null;
  /** This page's path and query (for the language switch's way back). */
  readonly here: string;
}

export type Page = 'overview' | 'devices' | 'firmware' | 'audit' | 'login';

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'idle';

export function Badge({ tone, children }: { tone: Tone; children: Child }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function Csrf({ view }: { view: View }) {
  return <input type="hidden" name="_csrf" value={view.csrf ?? ''} />;
}

/** A time as "5 min ago", its exact ISO form in the tooltip and the `datetime`. */
export function When({ view, at }: { view: View; at: number | null }) {
  if (at === null) return <span class="muted">{view.t('console.none')}</span>;
  const iso = new Date(at).toISOString();
  return (
    <time datetime={iso} title={iso}>
      {ago(view, at)}
    </time>
  );
}

export function ago(view: View, at: number): string {
  const s = Math.max(0, Math.round((view.now - at) / 1000));
  if (s < 5) return view.t('console.time.now');
  if (s < 90) return view.t('console.time.seconds', { n: s });
  if (s < 90 * 60) return view.t('console.time.minutes', { n: Math.round(s / 60) });
  if (s < 36 * 3600) return view.t('console.time.hours', { n: Math.round(s / 3600) });
  return view.t('console.time.days', { n: Math.round(s / 86400) });
}

/** A value or the "none" dash. */
export function Maybe({ view, value }: { view: View; value: string | number | null | undefined }) {
  return value === null || value === undefined || value === '' ? (
    <span class="muted">{view.t('console.none')}</span>
  ) : (
    <>{String(value)}</>
  );
}

const STATE_TONES: Readonly<Record<string, Tone>> = {
  offered: 'info',
  downloading: 'info',
  downloaded: 'info',
  installed: 'ok',
  failed: 'bad',
  silent: 'warn',
  superseded: 'idle',
  withdrawn: 'idle',
};

const STATE_KEYS = {
  offered: 'console.state.offered',
  downloading: 'console.state.downloading',
  downloaded: 'console.state.downloaded',
  installed: 'console.state.installed',
  failed: 'console.state.failed',
  silent: 'console.state.silent',
  superseded: 'console.state.superseded',
  withdrawn: 'console.state.withdrawn',
} as const;

/** An attempt state as a badge in the page's language (an unknown state is shown as it is). */
export function StateBadge({ view, state }: { view: View; state: string | null }) {
  if (state === null) return <span class="muted">{view.t('console.none')}</span>;
  const key = Object.hasOwn(STATE_KEYS, state) ? STATE_KEYS[state as keyof typeof STATE_KEYS] : null;
  return <Badge tone={STATE_TONES[state] ?? 'idle'}>{key === null ? state : view.t(key)}</Badge>;
}

export function Notice({ tone, children }: { tone: 'ok' | 'bad' | 'warn'; children: Child }) {
  return (
    <p class={`notice ${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

function NavLink({ view, page, current, href }: { view: View; page: Page; current: Page; href: string }) {
  const key = {
    overview: 'console.nav.overview',
    devices: 'console.nav.devices',
    firmware: 'console.nav.firmware',
    audit: 'console.nav.audit',
    login: 'console.login.title',
  } as const;
  return (
    <a href={href} {...(page === current ? { 'aria-current': 'page' } : {})}>
      {view.t(key[page])}
    </a>
  );
}

/** The other language's switch: a plain link (it only sets a preference cookie). */
function LanguageSwitch({ view }: { view: View }) {
  const other = view.lang === 'en' ? 'zh-CN' : 'en';
  const label = other === 'en' ? 'English' : '简体中文';
  return (
    <a
      href={`${BASE}/language/${other}?back=${encodeURIComponent(view.here)}`}
      hreflang={other}
      lang={other}
      title={view.t('console.nav.language')}
    >
      {label}
    </a>
  );
}

/** The whole page: header with navigation, language switch and logout; the content; our one script. */
export function Layout({
  view,
  page,
  title,
  children,
}: {
  view: View;
  page: Page;
  title: string;
  children: Child;
}) {
  return (
    <html lang={view.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · ${view.t('console.title')}`}</title>
        <link rel="stylesheet" href={BASE + STYLESHEET.path} />
        <script src={BASE + SCRIPTFILE.path} defer></script>
      </head>
      <body>
        <a class="sr" href="#content">
          {view.t('console.nav.skip')}
        </a>
        <header class="top">
          <div class="bar">
            <a class="brand" href={`${BASE}/`}>
              xiaozhi-ota-proxy
            </a>
            {page === 'login' ? null : (
              <nav class="main">
                <NavLink view={view} page="overview" current={page} href={`${BASE}/`} />
                <NavLink view={view} page="devices" current={page} href={`${BASE}/devices`} />
                <NavLink view={view} page="firmware" current={page} href={`${BASE}/firmware`} />
                <NavLink view={view} page="audit" current={page} href={`${BASE}/audit`} />
              </nav>
            )}
            <div class="side">
              <LanguageSwitch view={view} />
              {view.csrf === null ? null : (
                <form class="inline" method="post" action={`${BASE}/logout`}>
                  <Csrf view={view} />
                  <button type="submit" class="secondary">
                    {view.t('console.nav.logout')}
                  </button>
                </form>
              )}
            </div>
          </div>
        </header>
        <main id="content">{children}</main>
      </body>
    </html>
  );
}
