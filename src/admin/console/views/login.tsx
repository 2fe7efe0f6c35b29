/** The login page: the admin token in a password field, posted to `/admin/console/login`. */
import { SESSION_LIFETIME_MS } from '../session.js';
import { BASE, Layout, Notice, type View } from './parts.js';

export type LoginNote = 'wrong' | 'expired' | 'logged-out' | null;

export function LoginPage({ view, note, next }: { view: View; note: LoginNote; next: string }) {
  const t = view.t;
  return (
    <Layout view={view} page="login" title={t('console.login.title')}>
      <div class="login panel">
        <h1>{t('console.login.title')}</h1>
        {note === 'wrong' ? <Notice tone="bad">{t('console.login.wrong')}</Notice> : null}
        {note === 'expired' ? <Notice tone="warn">{t('console.login.expired')}</Notice> : null}
        {note === 'logged-out' ? <Notice tone="ok">{t('console.logout.done')}</Notice> : null}
        <form method="post" action={`${BASE}/login`}>
          <input type="hidden" name="next" value={next} />
          <label>
            {t('console.login.token')}
            <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>
          <button type="submit">{t('console.login.submit')}</button>
        </form>
        <p class="muted">{t('console.login.hint', { hours: SESSION_LIFETIME_MS / 3_600_000 })}</p>
      </div>
    </Layout>
  );
}

/** A plain message page (not found, refused). */
export function MessagePage({
  view,
  title,
  tone,
  message,
  back,
}: {
  view: View;
  title: string;
  tone: 'bad' | 'warn';
  message: string;
  back: string;
}) {
  return (
    <Layout view={view} page={view.csrf === null ? 'login' : 'overview'} title={title}>
      <h1>{title}</h1>
      <Notice tone={tone}>{message}</Notice>
      <p>
        <a href={back}>{view.t('console.error.back')}</a>
      </p>
    </Layout>
  );
}
