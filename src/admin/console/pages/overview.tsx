/**
 * Overview: the fleet at a glance — devices by board and version, voice sessions online now, checks per
 * minute, the upstream and its breaker, the store, every rollout, and the devices whose update last failed.
 */
import type { RolloutFigures } from '../../../fleet/rollout-figures.js';
import type { DeviceJson } from '../../../fleet/api-shapes.js';
import { readiness } from '../../health.js';
import { CHECK_RATE_MINUTES } from '../check-rate.js';
import { page, type ConsoleContext, type ConsoleDeps } from '../console-app.js';
import { CheckChart, CountBars } from '../views/charts.js';
import { Badge, BASE, Layout, Maybe, Notice, When, type Tone, type View } from '../views/parts.js';
import { RolloutTable } from '../views/rollouts.js';
import { flashOf, Flash } from '../views/flash.js';

interface RecentFailure {
  readonly device: DeviceJson;
  readonly reason: string | null;
  readonly version: string | null;
  readonly at: number | null;
}

interface OverviewData {
  readonly fleet: {
    readonly total: number;
    readonly counts: readonly { readonly label: string; readonly count: number }[];
    readonly rollouts: readonly RolloutFigures[];
    readonly failures: readonly RecentFailure[];
  } | null;
  readonly online: number | null;
  readonly series: readonly { readonly at: number; readonly checks: number }[];
  readonly health: ReturnType<typeof readiness>;
  readonly store: string;
}

const FAILURES_SHOWN = 10;
const BARS_SHOWN = 12;

/** The Overview at `/admin/console/` (a mounted app's `/` is routed without the slash: the console app calls this). */
export async function overviewPage(c: ConsoleContext, deps: ConsoleDeps) {
  const data = await load(deps, c.var.view.now);
  return page(
    c,
    OverviewPage({ view: c.var.view, data, flash: flashOf(c.req.query('done'), c.req.query('v')) }),
  );
}

async function load(deps: ConsoleDeps, now: number): Promise<OverviewData> {
  const { state } = deps;
  const fleet = state.fleet;
  const health = readiness({
    state,
    upstream: deps.upstream,
    catalog: deps.catalogStatus,
    ...(deps.readinessChecks ? { checks: deps.readinessChecks } : {}),
  });
  const series = deps.checkRate.series(now);
  const online = deps.voice()?.open ?? null;
  if (fleet === null) return { fleet: null, online, series, health, store: 'off' };
  const [page, counts, rollouts, failed] = await Promise.all([
    fleet.listDevices({ limit: 1 }),
    fleet.deviceCounts(),
    deps.operations.rollouts(),
    fleet.listDevices({ state: 'failed', limit: FAILURES_SHOWN }),
  ]);
  const failures = await Promise.all(
    failed.items.map(async (device): Promise<RecentFailure> => {
      const shown = await fleet.showDevice(device.id);
      const last = shown?.attempts.find((a) => a.state === 'failed') ?? null;
      return {
        device,
        reason: last?.reason ?? null,
        version: last?.to_version ?? null,
        at: last?.ended_at ?? null,
      };
    }),
  );
  const sorted = [...counts].sort((a, b) => b.devices - a.devices);
  const bars = sorted.slice(0, BARS_SHOWN).map((row) => ({
    label: `${row.board ?? '?'} ${row.version ?? '?'}`,
    count: row.devices,
  }));
  const rest = sorted.slice(BARS_SHOWN).reduce((sum, row) => sum + row.devices, 0);
  if (rest > 0) bars.push({ label: '…', count: rest });
  return {
    fleet: { total: page.total, counts: bars, rollouts, failures },
    online,
    series,
    health,
    store: fleet.health(),
  };
}

const BREAKER: Readonly<
  Record<
    string,
    {
      tone: Tone;
      key:
        | 'console.overview.breaker.closed'
        | 'console.overview.breaker.open'
        | 'console.overview.breaker.half-open';
    }
  >
> = {
  closed: { tone: 'ok', key: 'console.overview.breaker.closed' },
  open: { tone: 'bad', key: 'console.overview.breaker.open' },
  'half-open': { tone: 'warn', key: 'console.overview.breaker.half-open' },
};

function OverviewPage({
  view,
  data,
  flash,
}: {
  view: View;
  data: OverviewData;
  flash: ReturnType<typeof flashOf>;
}) {
  const t = view.t;
  const upstream = data.health.checks.upstream;
  const breaker = BREAKER[upstream.breaker] ?? {
    tone: 'warn' as Tone,
    key: 'console.overview.breaker.half-open' as const,
  };
  const lastHour = data.series.slice(-60).reduce((sum, p) => sum + p.checks, 0);
  const peak = Math.max(0, ...data.series.map((p) => p.checks));
  const storeTone: Tone = data.store === 'ok' ? 'ok' : data.store === 'off' ? 'idle' : 'warn';
  const storeKey =
    data.store === 'ok'
      ? 'console.overview.store.ok'
      : data.store === 'off'
        ? 'console.overview.store.off'
        : 'console.overview.store.degraded';
  return (
    <Layout view={view} page="overview" title={t('console.overview.title')}>
      <h1>{t('console.overview.title')}</h1>
      <Flash view={view} flash={flash} />
      {data.fleet === null ? <Notice tone="warn">{t('console.fleet.off')}</Notice> : null}
      <div class="grid">
        <section class="panel">
          <h2>{t('console.overview.devices')}</h2>
          <div class="figure" id="devices-total">
            {data.fleet === null ? t('console.none') : String(data.fleet.total)}
          </div>
          <a href={`${BASE}/devices`}>{t('console.nav.devices')} →</a>
        </section>
        <section class="panel">
          <h2>{t('console.overview.online')}</h2>
          <div class="figure">
            <Maybe view={view} value={data.online} />
          </div>
          <div class="muted">{t('console.overview.online.note')}</div>
        </section>
        <section class="panel">
          <h2>{t('console.overview.upstream')}</h2>
          <p>
            {t('console.overview.breaker')}: <Badge tone={breaker.tone}>{t(breaker.key)}</Badge>
          </p>
          <p>
            {t('console.overview.last-exchange')}:{' '}
            {upstream.last === null ? (
              <span class="muted">{t('console.overview.last-exchange.none')}</span>
            ) : (
              <>
                <Badge tone={upstream.last.result === 'ok' ? 'ok' : 'bad'}>
                  {upstream.last.result === 'ok' ? `ok ${upstream.last.status ?? ''}` : upstream.last.result}
                </Badge>{' '}
                <When view={view} at={Date.parse(upstream.last.at)} />
              </>
            )}
          </p>
          <p>
            {t('console.overview.store')}: <Badge tone={storeTone}>{t(storeKey)}</Badge>
          </p>
        </section>
        <section class="panel">
          <h2>{t('console.overview.checks-hour')}</h2>
          <div class="figure">{String(lastHour)}</div>
        </section>
      </div>

      <section class="panel">
        <h2>{t('console.overview.checks-chart', { hours: CHECK_RATE_MINUTES / 60 })}</h2>
        <CheckChart
          view={view}
          series={data.series}
          label={t('console.overview.checks-chart', { hours: CHECK_RATE_MINUTES / 60 })}
        />
        <div class="muted">{t('console.overview.checks-note', { peak })}</div>
      </section>

      {data.fleet === null ? null : (
        <>
          <section class="panel">
            <h2>{t('console.overview.by-version')}</h2>
            {data.fleet.counts.length === 0 ? (
              <p class="muted">{t('console.overview.by-version.empty')}</p>
            ) : (
              <CountBars rows={data.fleet.counts} />
            )}
          </section>
          <h2>{t('console.overview.rollouts')}</h2>
          <RolloutTable view={view} rollouts={data.fleet.rollouts} />
          <h2>{t('console.overview.failures')}</h2>
          <FailureTable view={view} failures={data.fleet.failures} />
        </>
      )}
    </Layout>
  );
}

function FailureTable({ view, failures }: { view: View; failures: readonly RecentFailure[] }) {
  const t = view.t;
  if (failures.length === 0) return <p class="muted">{t('console.overview.failures.empty')}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t('console.device.id')}</th>
            <th>{t('console.devices.board')}</th>
            <th>{t('console.device.attempt.from-to')}</th>
            <th>{t('console.rollout.failures')}</th>
            <th>{t('console.device.attempt.ended')}</th>
          </tr>
        </thead>
        <tbody>
          {failures.map((f) => (
            <tr>
              <td class="mono">
                <a href={`${BASE}/devices/${encodeURIComponent(f.device.id)}`}>{f.device.id}</a>
              </td>
              <td class="mono">
                <Maybe view={view} value={f.device.board} />
              </td>
              <td class="mono">
                <Maybe view={view} value={f.device.version} /> → <Maybe view={view} value={f.version} />
              </td>
              <td>
                <Badge tone="bad">{f.reason ?? t('console.state.failed')}</Badge>
              </td>
              <td>
                <When view={view} at={f.at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
