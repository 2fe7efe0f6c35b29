/**
 * One exchange as the device page shows it: what the proxy changed (upstream reply → what the device got)
 * as a member-by-member diff, and both bodies. Bodies are redacted before they get here (admin/exchanges.ts
 * for the ring, gateway/redact.ts for the store's record); the diff is computed on the redacted bodies.
 */
import { diffJson, type DiffEntry } from '../../json-diff.js';
import type { JsonValue } from '../../../rewrite/types.js';
import { Badge, Maybe, type View } from './parts.js';

function parsed(text: string | null): JsonValue | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

export function DiffTable({ view, diff }: { view: View; diff: readonly DiffEntry[] }) {
  const t = view.t;
  if (diff.length === 0) return <p class="muted">{t('console.device.exchange.nodiff')}</p>;
  return (
    <div class="table-wrap">
      <table class="diff">
        <thead>
          <tr>
            <th>{t('console.device.exchange.path')}</th>
            <th>{t('console.device.exchange.before')}</th>
            <th>{t('console.device.exchange.after')}</th>
          </tr>
        </thead>
        <tbody>
          {diff.map((d) => (
            <tr class={d.op}>
              <td class="mono">{d.path}</td>
              <td class="mono">{d.before === undefined ? '' : JSON.stringify(d.before)}</td>
              <td class="mono">{d.after === undefined ? '' : JSON.stringify(d.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface ShownExchange {
  readonly at: string | null;
  readonly kind: string | null;
  readonly status: number | null;
  readonly outcome: string | null;
  readonly upstreamBody: string | null;
  readonly replyBody: string | null;
  readonly firmware: string | null;
}

export function ExchangeBlock({ view, exchange }: { view: View; exchange: ShownExchange }) {
  const t = view.t;
  const before = parsed(exchange.upstreamBody);
  const after = parsed(exchange.replyBody);
  const diff = before === undefined && after === undefined ? null : diffJson(before, after);
  return (
    <div class="panel">
      <p class="actions">
        <span class="mono">{exchange.at ?? ''}</span>
        <Maybe view={view} value={exchange.kind} />
        {exchange.status === null ? null : (
          <Badge tone={exchange.status < 400 ? 'ok' : 'bad'}>{`HTTP ${exchange.status}`}</Badge>
        )}
        {exchange.outcome === null ? null : (
          <Badge
            tone={exchange.outcome === 'failed' ? 'bad' : exchange.outcome === 'fallback' ? 'warn' : 'info'}
          >
            {exchange.outcome}
          </Badge>
        )}
        {exchange.firmware === null ? null : <span>{exchange.firmware}</span>}
      </p>
      <h3>{t('console.device.exchange.diff')}</h3>
      {diff === null ? <p class="muted">{t('console.none')}</p> : <DiffTable view={view} diff={diff} />}
      <details>
        <summary>{t('console.device.exchange.upstream')}</summary>
        <pre>{exchange.upstreamBody ?? t('console.none')}</pre>
      </details>
      <details>
        <summary>{t('console.device.exchange.reply')}</summary>
        <pre>{exchange.replyBody ?? t('console.none')}</pre>
      </details>
      <p class="muted">{t('console.device.exchange.redacted')}</p>
    </div>
  );
}

/** The store's summary of a device's last exchange (docs/fleet.md "Device record"): no bodies, the facts. */
export interface StoredExchange {
  readonly status: number | null;
  readonly outcome: string | null;
  readonly upstream: {
    readonly status: number | null;
    readonly ms: number | null;
    readonly failure: string | null;
  } | null;
  readonly rules: readonly string[];
  readonly repairs: readonly string[];
  readonly offered: { readonly version: string; readonly url: string | null; readonly sent: boolean } | null;
  readonly reason: string | null;
  readonly detail: string | null;
}

export function StoredExchangeBlock({ view, exchange: x }: { view: View; exchange: StoredExchange }) {
  const t = view.t;
  return (
    <div class="panel">
      <dl class="facts">
        <dt>{t('console.device.exchange.upstream')}</dt>
        <dd class="mono">
          {x.upstream === null
            ? t('console.none')
            : x.upstream.failure !== null
              ? `${x.upstream.failure}${x.upstream.ms === null ? '' : ` (${x.upstream.ms} ms)`}`
              : `HTTP ${x.upstream.status ?? '?'}${x.upstream.ms === null ? '' : ` (${x.upstream.ms} ms)`}`}
        </dd>
        <dt>{t('console.device.exchange.reply')}</dt>
        <dd>
          {x.status === null ? null : (
            <Badge tone={x.status < 400 ? 'ok' : 'bad'}>{`HTTP ${x.status}`}</Badge>
          )}{' '}
          <Maybe view={view} value={x.outcome} />
        </dd>
        <dt>{t('console.device.exchange.rules')}</dt>
        <dd class="mono">{x.rules.length === 0 ? t('console.none') : x.rules.join(', ')}</dd>
        <dt>{t('console.device.exchange.repairs')}</dt>
        <dd class="mono">{x.repairs.length === 0 ? t('console.none') : x.repairs.join(', ')}</dd>
        <dt>{t('console.nav.firmware')}</dt>
        <dd class="mono">
          {x.offered !== null
            ? `${x.offered.version} ${x.offered.url ?? ''}`
            : x.reason !== null
              ? `${x.reason}${x.detail === null ? '' : `: ${x.detail}`}`
              : t('console.none')}
        </dd>
      </dl>
    </div>
  );
}
