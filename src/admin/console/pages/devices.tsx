/**
 * Devices: the inventory with the API's filters, sorting and paging (server-side: one store page per
 * request, so 100,000 devices cost what 100 do), and one device: facts, blocks (unblock), the timeline of
 * its attempts, its last exchange and those still in the exchange ring, and "why this reply?".
 */
import { Hono } from 'hono';
import type { AttemptJson, DeviceJson } from '../../../fleet/api-shapes.js';
import { deviceIdOf } from '../../../fleet/device-id.js';
import { redactSecrets } from '../../../gateway/redact.js';
import type { Explanation, RejectedExplanation } from '../../explain.js';
import {
  actorOf,
  back,
  page,
  type ConsoleContext,
  type ConsoleDeps,
  type ConsoleEnv,
} from '../console-app.js';
import { explainDevice } from '../device-explain.js';
import {
  filterQuery,
  LIMITS,
  readDeviceFilters,
  SEEN_WITHIN,
  SORTS,
  STATES,
  type DeviceFilterForm,
} from '../device-filters.js';
import { OperationError } from '../../../operations/errors.js';
import {
  DiffTable,
  ExchangeBlock,
  StoredExchangeBlock,
  type ShownExchange,
  type StoredExchange,
} from '../views/exchange.js';
import { Flash, flashOf, flashQuery, type FlashState } from '../views/flash.js';
import { MessagePage } from '../views/login.js';
import { Badge, BASE, Csrf, Layout, Maybe, Notice, StateBadge, When, type View } from '../views/parts.js';

export function deviceRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get('/', async (c) => {
    const view = c.var.view;
    const { form, params } = readDeviceFilters((name) => c.req.query(name));
    if (deps.state.fleet === null)
      return page(c, DevicesPage({ view, form, result: null, problem: null, paged: false }));
    try {
      const result = await deps.operations.listDevices(params);
      return page(c, DevicesPage({ view, form, result, problem: null, paged: params.cursor !== undefined }));
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      // A filter the API refuses (the same sentence), over the unfiltered first page.
      const result = await deps.operations.listDevices({});
      return page(c, DevicesPage({ view, form, result, problem: error.message, paged: false }), 400);
    }
  });

  app.get('/:id', async (c) => deviceResponse(c, deps, null));

  app.post('/:id/explain', async (c) => {
    const fleet = deps.state.fleet;
    const shown = fleet === null ? null : await fleet.showDevice(c.req.param('id'));
    if (shown === null) return deviceResponse(c, deps, null);
    const explanation = await explainDevice(deps.state, shown.device, {
      peer: actorOf(c).address ?? '127.0.0.1',
      host: c.req.header('host') ?? 'localhost',
    });
    return deviceResponse(c, deps, explanation);
  });

  app.post('/:id/unblock', async (c) => {
    const entry = c.var.form.entry_id;
    const entryId = typeof entry === 'string' && entry !== '' ? entry : null;
    const id = deviceIdOf(c.req.param('id'));
    if (deps.state.fleet === null || id === null) return deviceResponse(c, deps, null);
    const path = `/devices/${encodeURIComponent(id)}`;
    try {
      const done = await deps.operations.unblock(id, entryId, actorOf(c));
      if (done.cleared.length === 0) return back(c, `${path}?${flashQuery('unblocked-none')}`);
      return back(c, `${path}?${flashQuery('unblocked', done.cleared.join(', '))}`);
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      return back(c, `${path}?${flashQuery('unblocked-none')}`);
    }
  });
  return app;
}

async function deviceResponse(
  c: ConsoleContext,
  deps: ConsoleDeps,
  explanation: Explanation | RejectedExplanation | null,
) {
  const view = c.var.view;
  const fleet = deps.state.fleet;
  const asked = c.req.param('id') ?? '';
  const shown = fleet === null ? null : await fleet.showDevice(asked);
  if (shown === null)
    return page(
      c,
      MessagePage({
        view,
        title: view.t('console.not-found'),
        tone: 'warn',
        message:
          fleet === null ? view.t('console.fleet.off') : view.t('console.device.unknown', { id: asked }),
        back: `${BASE}/devices`,
      }),
      404,
    );
  const ring = deps.exchanges
    .list()
    .filter((x) => x.device.id === shown.device.id)
    .map((x): ShownExchange => ({
      at: x.at,
      kind: x.kind,
      status: x.status,
      outcome: x.outcome,
      upstreamBody: x.upstreamBody,
      replyBody: x.replyBody,
      firmware: x.firmware?.offered ?? x.firmware?.reason ?? null,
    }));
  return page(
    c,
    DevicePage({
      view,
      device: shown.device,
      attempts: shown.attempts,
      stored: storedExchange(shown.device.last_exchange),
      ring,
      explanation,
      flash: flashOf(c.req.query('done'), c.req.query('v')),
    }),
  );
}

/** The store's summary of the last exchange (http/fleet-check.ts writes it), read defensively, secrets redacted. */
function storedExchange(record: Readonly<Record<string, unknown>> | null): StoredExchange | null {
  if (record === null) return null;
  const object = (value: unknown): Readonly<Record<string, unknown>> | null =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  const text = (value: unknown): string | null => (typeof value === 'string' ? redactSecrets(value) : null);
  const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').map(redactSecrets) : [];
  const upstream = object(record.upstream);
  const firmware = object(record.firmware);
  return {
    status: num(record.status),
    outcome: text(record.outcome),
    upstream:
      upstream === null
        ? null
        : { status: num(upstream.status), ms: num(upstream.ms), failure: text(upstream.failure) },
    rules: list(record.rules),
    repairs: list(record.repairs),
    offered:
      firmware === null || typeof firmware.version !== 'string'
        ? null
        : { version: redactSecrets(firmware.version), url: text(firmware.url), sent: firmware.sent === true },
    reason: firmware === null ? null : text(firmware.reason),
    detail: firmware === null ? null : text(firmware.detail),
  };
}

function DevicesPage({
  view,
  form,
  result,
  problem,
  paged,
}: {
  view: View;
  form: DeviceFilterForm;
  result: { total: number; items: readonly DeviceJson[]; next: string | null } | null;
  problem: string | null;
  paged: boolean;
}) {
  const t = view.t;
  return (
    <Layout view={view} page="devices" title={t('console.devices.title')}>
      <h1>{t('console.devices.title')}</h1>
      {result === null ? <Notice tone="warn">{t('console.fleet.off')}</Notice> : null}
      {problem === null ? null : (
        <Notice tone="bad">{t('console.devices.bad-filter', { detail: problem })}</Notice>
      )}
      <FilterForm view={view} form={form} />
      {result === null ? null : (
        <>
          <p id="devices-count">{t('console.devices.total', { total: result.total })}</p>
          {result.items.length === 0 ? (
            <p class="muted">{t('console.devices.empty')}</p>
          ) : (
            <DeviceTable view={view} devices={result.items} />
          )}
          <div class="pager">
            {paged ? (
              <a href={`${BASE}/devices${filterQuery(form, null)}`}>{t('console.devices.first')}</a>
            ) : null}
            {result.next === null ? null : (
              <a href={`${BASE}/devices${filterQuery(form, result.next)}`} rel="next">
                {t('console.devices.next')}
              </a>
            )}
          </div>
        </>
      )}
    </Layout>
  );
}

function FilterForm({ view, form }: { view: View; form: DeviceFilterForm }) {
  const t = view.t;
  const text = (name: 'q' | 'board' | 'version' | 'chip', label: string) => (
    <label>
      {label}
      <input type="search" name={name} value={form[name]} size={14} />
    </label>
  );
  const option = (value: string, label: string, current: string) => (
    <option value={value} selected={value === current}>
      {label}
    </option>
  );
  return (
    <form class="filters" method="get" action={`${BASE}/devices`}>
      {text('q', t('console.devices.search'))}
      {text('board', t('console.devices.board'))}
      {text('version', t('console.devices.version'))}
      {text('chip', t('console.devices.chip'))}
      <label>
        {t('console.devices.state')}
        <select name="state">
          {option('', t('console.any'), form.state)}
          {STATES.map((s) => option(s, t(`console.state.${s}`), form.state))}
        </select>
      </label>
      <label>
        {t('console.devices.blocked')}
        <select name="blocked">
          {option('', t('console.any'), form.blocked)}
          {option('true', t('console.yes'), form.blocked)}
          {option('false', t('console.no'), form.blocked)}
        </select>
      </label>
      <label>
        {t('console.devices.seen')}
        <select name="seen_within">
          {option('', t('console.any'), form.seen_within)}
          {SEEN_WITHIN.map((s) =>
            option(
              String(s),
              t(
                s === 3600
                  ? 'console.devices.seen.hour'
                  : s === 86_400
                    ? 'console.devices.seen.day'
                    : 'console.devices.seen.week',
              ),
              form.seen_within,
            ),
          )}
        </select>
      </label>
      <label>
        {t('console.devices.sort')}
        <select name="sort">
          {SORTS.map((s) => option(s, t(`console.devices.sort.${s}`), form.sort || 'last_seen'))}
        </select>
      </label>
      <label>
        {t('console.devices.limit')}
        <select name="limit">{LIMITS.map((n) => option(String(n), String(n), form.limit || '100'))}</select>
      </label>
      <button type="submit">{t('console.devices.filter')}</button>
      <a href={`${BASE}/devices`}>{t('console.devices.reset')}</a>
    </form>
  );
}

function DeviceTable({ view, devices }: { view: View; devices: readonly DeviceJson[] }) {
  const t = view.t;
  return (
    <div class="table-wrap">
      <table id="devices">
        <thead>
          <tr>
            <th>{t('console.device.id')}</th>
            <th>{t('console.devices.board')}</th>
            <th>{t('console.devices.version')}</th>
            <th class="hide-narrow">{t('console.devices.chip')}</th>
            <th>{t('console.devices.state')}</th>
            <th>{t('console.device.last-seen')}</th>
            <th class="hide-narrow">{t('console.device.address')}</th>
            <th class="num hide-narrow">{t('console.device.checks')}</th>
            <th class="hide-narrow">{t('console.device.voice')}</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr>
              <td class="mono">
                <a href={`${BASE}/devices/${encodeURIComponent(d.id)}`}>{d.id}</a>
                {d.blocked.length > 0 ? (
                  <>
                    {' '}
                    <Badge tone="bad">{t('console.devices.blocked')}</Badge>
                  </>
                ) : null}
              </td>
              <td class="mono">
                <Maybe view={view} value={d.board} />
              </td>
              <td class="mono">
                <Maybe view={view} value={d.version} />
              </td>
              <td class="mono hide-narrow">
                <Maybe view={view} value={d.chip} />
              </td>
              <td>
                <StateBadge view={view} state={d.state} />
              </td>
              <td>
                <When view={view} at={d.last_seen} />
              </td>
              <td class="mono hide-narrow">
                <Maybe view={view} value={d.last_address} />
              </td>
              <td class="num hide-narrow">{String(d.checks)}</td>
              <td class="hide-narrow">
                {d.voice_online ? (
                  <Badge tone="ok">{t('console.device.voice.online')}</Badge>
                ) : (
                  <Badge tone="idle">{t('console.device.voice.offline')}</Badge>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DevicePage({
  view,
  device: d,
  attempts,
  stored,
  ring,
  explanation,
  flash,
}: {
  view: View;
  device: DeviceJson;
  attempts: readonly AttemptJson[];
  stored: StoredExchange | null;
  ring: readonly ShownExchange[];
  explanation: Explanation | RejectedExplanation | null;
  flash: FlashState | null;
}) {
  const t = view.t;
  const path = `${BASE}/devices/${encodeURIComponent(d.id)}`;
  const fact = (label: string, value: string | number | null) => (
    <>
      <dt>{label}</dt>
      <dd class="mono">
        <Maybe view={view} value={value} />
      </dd>
    </>
  );
  return (
    <Layout view={view} page="devices" title={d.id}>
      <h1 class="mono">{d.id}</h1>
      <Flash view={view} flash={flash} />
      <div class="grid">
        <section class="panel">
          <dl class="facts">
            {fact(t('console.devices.board'), d.board)}
            {fact(t('console.device.board-type'), d.board_type)}
            {fact(t('console.devices.version'), d.version)}
            {fact(t('console.devices.chip'), d.chip)}
            {fact(t('console.device.client-id'), d.client_id)}
            {fact(t('console.device.running-slot'), d.ota_label)}
            {fact(
              t('console.device.slot'),
              `${d.slot_bytes.ota_0 ?? t('console.none')} / ${d.slot_bytes.ota_1 ?? t('console.none')}`,
            )}
            {fact(t('console.device.flash'), d.flash_size)}
            {fact(t('console.device.language'), d.language)}
          </dl>
        </section>
        <section class="panel">
          <dl class="facts">
            <dt>{t('console.device.first-seen')}</dt>
            <dd>
              <When view={view} at={d.first_seen} />
            </dd>
            <dt>{t('console.device.last-seen')}</dt>
            <dd>
              <When view={view} at={d.last_seen} />
            </dd>
            {fact(t('console.device.address'), d.last_address)}
            {fact(t('console.device.checks'), d.checks)}
            {fact(
              t('console.device.last-reply'),
              d.last_status === null ? null : `HTTP ${d.last_status} ${d.last_outcome ?? ''}`,
            )}
            {fact(t('console.device.transport'), d.transport)}
            <dt>{t('console.device.voice')}</dt>
            <dd>
              {d.voice_online ? (
                <Badge tone="ok">{t('console.device.voice.online')}</Badge>
              ) : (
                <Badge tone="idle">{t('console.device.voice.offline')}</Badge>
              )}
            </dd>
            <dt>{t('console.device.activation')}</dt>
            <dd>{d.activation_pending ? t('console.yes') : t('console.no')}</dd>
            <dt>{t('console.devices.state')}</dt>
            <dd>
              <StateBadge view={view} state={d.state} />
            </dd>
          </dl>
        </section>
      </div>

      <h2>{t('console.device.blocks')}</h2>
      {d.blocked.length === 0 ? (
        <p class="muted">{t('console.device.blocks.none')}</p>
      ) : (
        <div class="panel">
          {d.blocked.map((b) => (
            <p class="actions">
              <Badge tone="bad">{t('console.devices.blocked')}</Badge>
              <span>
                {t('console.device.block', {
                  board: b.board,
                  version: b.version,
                  failures: b.failures,
                  reason: b.reason ?? t('console.none'),
                })}
              </span>
              <form class="inline" method="post" action={`${path}/unblock`}>
                <Csrf view={view} />
                <input type="hidden" name="entry_id" value={b.entry_id} />
                <button type="submit">{t('console.device.unblock')}</button>
              </form>
            </p>
          ))}
          {d.blocked.length > 1 ? (
            <form method="post" action={`${path}/unblock`}>
              <Csrf view={view} />
              <button type="submit">{t('console.device.unblock-all')}</button>
            </form>
          ) : null}
        </div>
      )}

      <h2>{t('console.device.attempts')}</h2>
      {attempts.length === 0 ? (
        <p class="muted">{t('console.device.attempts.none')}</p>
      ) : (
        <div class="table-wrap">
          <table id="attempts">
            <thead>
              <tr>
                <th>{t('console.device.attempt.when')}</th>
                <th>{t('console.device.attempt.from-to')}</th>
                <th>{t('console.device.attempt.download')}</th>
                <th>{t('console.device.attempt.ended')}</th>
                <th>{t('console.device.attempt.state')}</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr>
                  <td>
                    <When view={view} at={a.offered_at} />
                  </td>
                  <td class="mono">{`${a.from_version} → ${a.to_version}`}</td>
                  <td>
                    {a.download_started_at === null ? (
                      <span class="muted">{t('console.none')}</span>
                    ) : (
                      <>
                        <When view={view} at={a.download_started_at} />{' '}
                        <span class="muted">
                          {t('console.device.attempt.bytes', { bytes: a.download_bytes })}
                        </span>
                      </>
                    )}
                  </td>
                  <td>
                    <When view={view} at={a.ended_at} />
                  </td>
                  <td>
                    <StateBadge view={view} state={a.state} />
                    {a.reason === null ? null : <code> {a.reason}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>{t('console.device.explain')}</h2>
      <form method="post" action={`${path}/explain`}>
        <Csrf view={view} />
        <p class="muted">{t('console.device.explain.note')}</p>
        <button type="submit">{t('console.device.explain')}</button>
      </form>
      {explanation === null ? null : <ExplainResult view={view} explanation={explanation} />}

      <h2>{t('console.device.exchange')}</h2>
      {stored === null ? (
        <p class="muted">{t('console.device.exchange.none')}</p>
      ) : (
        <StoredExchangeBlock view={view} exchange={stored} />
      )}
      {ring.length === 0 ? null : (
        <>
          <h2>{t('console.device.exchange.ring')}</h2>
          {ring.map((x) => (
            <ExchangeBlock view={view} exchange={x} />
          ))}
        </>
      )}
    </Layout>
  );
}

function ExplainResult({
  view,
  explanation,
}: {
  view: View;
  explanation: Explanation | RejectedExplanation;
}) {
  const t = view.t;
  const offer =
    'firmware' in explanation
      ? explanation.firmware.offered === null
        ? (explanation.firmware.reason ?? t('console.none'))
        : `${explanation.firmware.offered.board} ${explanation.firmware.offered.version} (${explanation.firmware.offered.file})`
      : null;
  return (
    <section class="panel" id="explanation">
      <h3>{t('console.device.explain.result')}</h3>
      <p>
        {t('console.device.explain.outcome', {
          outcome: `${explanation.outcome} (HTTP ${explanation.reply.status})`,
        })}
      </p>
      {offer === null ? null : <p>{t('console.device.explain.offer', { offer })}</p>}
      <ol>
        {explanation.reasons.map((r) => (
          <li>{r}</li>
        ))}
      </ol>
      {'diff' in explanation ? <DiffTable view={view} diff={explanation.diff} /> : null}
    </section>
  );
}
