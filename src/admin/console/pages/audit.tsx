/** Audit: every change made from the console, the API or the CLI, and the fleet's own halts; newest first. */
import { Hono } from 'hono';
import { page, type ConsoleDeps, type ConsoleEnv } from '../console-app.js';
import { BASE, Badge, Layout, Maybe, Notice, When, type View } from '../views/parts.js';

const PAGE_SIZE = 100;

type AuditRow = Awaited<ReturnType<NonNullable<ConsoleDeps['state']['fleet']>['auditLog']>>[number];

export function auditRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/', async (c) => {
    const fleet = deps.state.fleet;
    const beforeText = c.req.query('before');
    const before = beforeText !== undefined && /^\d{1,15}$/.test(beforeText) ? Number(beforeText) : null;
    const rows = fleet === null ? null : await fleet.auditLog(PAGE_SIZE, before);
    return page(c, AuditPage({ view: c.var.view, rows }));
  });
  return app;
}

function AuditPage({ view, rows }: { view: View; rows: readonly AuditRow[] | null }) {
  const t = view.t;
  const last = rows?.[rows.length - 1];
  return (
    <Layout view={view} page="audit" title={t('console.audit.title')}>
      <h1>{t('console.audit.title')}</h1>
      {rows === null ? <Notice tone="warn">{t('console.fleet.off')}</Notice> : null}
      {rows !== null && rows.length === 0 ? <p class="muted">{t('console.audit.empty')}</p> : null}
      {rows === null || rows.length === 0 ? null : (
        <div class="table-wrap">
          <table id="audit">
            <thead>
              <tr>
                <th>{t('console.audit.when')}</th>
                <th>{t('console.audit.action')}</th>
                <th>{t('console.audit.target')}</th>
                <th>{t('console.audit.means')}</th>
                <th class="hide-narrow">{t('console.audit.address')}</th>
                <th>{t('console.audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <td>
                    <When view={view} at={r.at} />
                  </td>
                  <td class="mono">{r.action}</td>
                  <td class="mono">{r.target}</td>
                  <td>
                    <Badge tone={r.means === 'fleet' ? 'warn' : 'info'}>{r.means}</Badge>
                  </td>
                  <td class="mono hide-narrow">
                    <Maybe view={view} value={r.address} />
                  </td>
                  <td class="mono">{JSON.stringify(r.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows !== null && rows.length === PAGE_SIZE && last !== undefined ? (
        <p class="pager">
          <a href={`${BASE}/audit?before=${last.seq}`}>{t('console.audit.older')}</a>
        </p>
      ) : null}
    </Layout>
  );
}
