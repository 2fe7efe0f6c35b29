/** The rollout table (Overview and Firmware): progress eligible → offered → installed, failures, halt state. */
import type { RolloutFigures } from '../../../fleet/rollout-figures.js';
import { StackedBar } from './charts.js';
import { Badge, BASE, Csrf, When, type View } from './parts.js';

export function RolloutTable({ view, rollouts }: { view: View; rollouts: readonly RolloutFigures[] }) {
  const t = view.t;
  if (rollouts.length === 0) return <p class="muted">{t('console.overview.rollouts.empty')}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{t('console.rollout.board')}</th>
            <th>{t('console.rollout.version')}</th>
            <th class="num">{t('console.rollout.percent')}</th>
            <th>{t('console.rollout.progress')}</th>
            <th>{t('console.rollout.failures')}</th>
            <th>{t('console.rollout.state')}</th>
          </tr>
        </thead>
        <tbody>
          {rollouts.map((r) => (
            <RolloutRow view={view} r={r} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RolloutRow({ view, r }: { view: View; r: RolloutFigures }) {
  const t = view.t;
  const inFlight = r.offered + r.downloading + r.downloaded;
  const installed = Math.max(r.installed, r.on_version);
  const reasons = Object.entries(r.failed).filter(([reason, n]) => reason !== 'total' && n > 0);
  const label = `${t('console.rollout.eligible')} ${r.eligible}, ${t('console.rollout.offered')} ${inFlight}, ${t('console.rollout.installed')} ${installed}, ${t('console.rollout.failed')} ${r.failed.total}`;
  return (
    <tr>
      <td class="mono">{r.board}</td>
      <td class="mono">{r.version}</td>
      <td class="num">{`${r.rollout} %`}</td>
      <td>
        <StackedBar
          total={r.eligible}
          label={label}
          segments={[
            { className: 'installed', value: installed },
            { className: 'inflight', value: inFlight },
            { className: 'failed', value: r.failed.total },
          ]}
        />
        <div class="legend">
          <span>{`${t('console.rollout.eligible')} ${r.eligible}`}</span>
          <span>
            <i class="inflight"></i>
            {`${t('console.rollout.offered')} ${r.offered}`}
          </span>
          <span>
            <i class="inflight"></i>
            {`${t('console.rollout.in-flight')} ${r.downloading + r.downloaded}`}
          </span>
          <span>
            <i class="installed"></i>
            {`${t('console.rollout.installed')} ${r.installed}`}
            {r.on_version > r.installed ? ` (${t('console.rollout.on-version')} ${r.on_version})` : ''}
          </span>
          <span>
            <i class="failed"></i>
            {`${t('console.rollout.failed')} ${r.failed.total}`}
          </span>
          {r.silent > 0 ? <span>{`${t('console.rollout.silent')} ${r.silent}`}</span> : null}
        </div>
      </td>
      <td>
        {reasons.length === 0 ? (
          <span class="muted">{t('console.none')}</span>
        ) : (
          reasons.map(([reason, n]) => (
            <div>
              <code>{reason}</code> {n}
            </div>
          ))
        )}
      </td>
      <td>
        <div class="actions">
          {r.halted === null ? (
            <Badge tone="ok">{t('console.rollout.active')}</Badge>
          ) : (
            <Badge tone="bad">{t('console.rollout.halted')}</Badge>
          )}
          <form
            class="inline"
            method="post"
            action={`${BASE}/firmware/${r.entry_id}/${r.halted === null ? 'halt' : 'resume'}`}
          >
            <Csrf view={view} />
            <input type="hidden" name="back" value={view.here} />
            {r.halted === null ? (
              <button type="submit" class="danger" data-confirm={t('console.rollout.halt.confirm')}>
                {t('console.rollout.halt')}
              </button>
            ) : (
              <button type="submit">{t('console.rollout.resume')}</button>
            )}
          </form>
        </div>
        {r.halted === null ? null : (
          <div class="muted">
            {t('console.rollout.halted-by', { by: r.halted.by, reason: r.halted.reason })}{' '}
            <When view={view} at={r.halted.at} />
          </div>
        )}
      </td>
    </tr>
  );
}
