/**
 * Firmware: the catalog with each image's check, its rollout (changed here), halt and resume; adding an
 * image in two steps — the upload's dry run shows the version and chip read from the image (or why it is
 * refused, nothing changed), then the operator confirms. Every action calls the service the JSON API calls.
 */
import { Hono } from 'hono';
import { entryIdOf } from '../../../fleet/entry-id.js';
import type { RolloutFigures } from '../../../fleet/rollout-figures.js';
import type { CatalogEntry } from '../../../firmware/types.js';
import {
  actorOf,
  back,
  page,
  safeNext,
  type ConsoleContext,
  type ConsoleDeps,
  type ConsoleEnv,
} from '../console-app.js';
import type { UploadRequest, UploadVerdict } from '../firmware-operations.js';
import { UploadStaging } from '../upload-staging.js';
import { Flash, flashOf, flashQuery, type FlashCode, type FlashState } from '../views/flash.js';
import { Badge, BASE, Csrf, Layout, Maybe, Notice, type View } from '../views/parts.js';
import { RolloutTable } from '../views/rollouts.js';

export function firmwareRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const staging = new UploadStaging();

  app.get('/', async (c) =>
    page(c, await firmwarePage(c, deps, flashOf(c.req.query('done'), c.req.query('v')))),
  );

  app.post('/preview', async (c) => {
    const view = c.var.view;
    const ops = deps.firmware;
    if (ops === null)
      return page(c, await firmwarePage(c, deps, null, view.t('console.firmware.unavailable')), 409);
    const upload = await readUpload(c.var.form);
    if (typeof upload === 'string') return page(c, await firmwarePage(c, deps, null, upload), 400);
    const verdict = await ops.preview(upload, actorOf(c));
    const staged = verdict.ok ? staging.hold(upload, c.var.session.nonce, view.now) : null;
    return page(c, PreviewPage({ view, upload, verdict, staged }), verdict.ok ? 200 : 422);
  });

  app.post('/commit', async (c) => {
    const view = c.var.view;
    const ops = deps.firmware;
    if (ops === null)
      return page(c, await firmwarePage(c, deps, null, view.t('console.firmware.unavailable')), 409);
    const id = c.var.form.staged;
    const upload = typeof id === 'string' ? staging.take(id, c.var.session.nonce, view.now) : null;
    if (upload === null)
      return page(c, await firmwarePage(c, deps, null, view.t('console.firmware.preview.gone')), 409);
    const verdict = await ops.commit(upload, actorOf(c));
    if (!verdict.ok) return page(c, PreviewPage({ view, upload, verdict, staged: null }), 422);
    return back(c, `/firmware?${flashQuery('added', `${verdict.board}\n${verdict.version}`)}`);
  });

  app.post('/:entry/rollout', async (c) => {
    const view = c.var.view;
    const ops = deps.firmware;
    if (ops === null)
      return page(c, await firmwarePage(c, deps, null, view.t('console.firmware.unavailable')), 409);
    const percent = readPercent(c.var.form.rollout);
    if (percent === null)
      return page(c, await firmwarePage(c, deps, null, '`rollout` must be a number from 0 to 100'), 400);
    const done = await ops.setRollout(c.req.param('entry'), percent, actorOf(c));
    if (!done.ok) return page(c, await firmwarePage(c, deps, null, done.reason), 400);
    return back(c, `/firmware?${flashQuery('rollout', String(percent))}`);
  });

  app.post('/:entry/halt', async (c) => {
    const fleet = deps.state.fleet;
    const entry = findEntry(deps, c.req.param('entry'));
    if (fleet === null || entry === null) return returnTo(c, 'unknown-entry');
    const done = await fleet.halt(
      { entryId: entryIdOf(entry), board: entry.board, version: entry.version },
      actorOf(c),
    );
    return returnTo(c, done ? 'halted' : 'unchanged');
  });

  app.post('/:entry/resume', async (c) => {
    const fleet = deps.state.fleet;
    const id = c.req.param('entry');
    if (fleet === null || !/^[0-9a-f]{12}$/.test(id)) return returnTo(c, 'unknown-entry');
    const done = await fleet.resume(id, actorOf(c));
    return returnTo(c, done ? 'resumed' : 'unchanged');
  });
  return app;
}

/** Back to the page the form was on (the hidden `back` field, kept inside the console), with the outcome. */
function returnTo(c: ConsoleContext, code: FlashCode) {
  const from = c.var.form.back;
  const path = safeNext(typeof from === 'string' ? from : `${BASE}/firmware`);
  const url = new URL(path, 'http://console.invalid');
  url.searchParams.delete('done');
  url.searchParams.delete('v');
  const query = url.searchParams.toString();
  return c.redirect(`${url.pathname}?${query === '' ? '' : `${query}&`}${flashQuery(code)}`, 303);
}

function findEntry(deps: ConsoleDeps, id: string): CatalogEntry | null {
  return deps.state.catalog()?.entries.find((e) => entryIdOf(e) === id) ?? null;
}

function readPercent(value: unknown): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? Math.round(n * 100) / 100 : null;
}

async function readUpload(form: Record<string, string | File>): Promise<UploadRequest | string> {
  const file = form.image;
  if (!(file instanceof File) || file.size === 0) return 'choose an app image (.bin) to upload';
  const board = typeof form.board === 'string' ? form.board.trim() : '';
  if (board === '') return '`board` is required';
  const rolloutText = typeof form.rollout === 'string' ? form.rollout.trim() : '';
  const rollout = rolloutText === '' ? null : readPercent(rolloutText);
  if (rolloutText !== '' && rollout === null) return '`rollout` must be a number from 0 to 100';
  return { image: Buffer.from(await file.arrayBuffer()), name: file.name.slice(0, 200), board, rollout };
}

async function firmwarePage(
  c: ConsoleContext,
  deps: ConsoleDeps,
  flash: FlashState | null,
  problem: string | null = null,
) {
  const catalog = deps.state.catalog();
  const status = deps.catalogStatus();
  const rollouts = deps.state.fleet === null ? null : await deps.state.fleet.rollouts(catalog);
  return FirmwarePage({
    view: c.var.view,
    dir: deps.state.config().firmware.dir,
    entries: catalog?.entries ?? [],
    skipped: status?.skipped.issues.map((i) => i.message) ?? [],
    rollouts,
    flash,
    problem,
    canEdit: deps.firmware !== null,
  });
}

function FirmwarePage({
  view,
  dir,
  entries,
  skipped,
  rollouts,
  flash,
  problem,
  canEdit,
}: {
  view: View;
  dir: string | null;
  entries: readonly CatalogEntry[];
  skipped: readonly string[];
  rollouts: readonly RolloutFigures[] | null;
  flash: FlashState | null;
  problem: string | null;
  canEdit: boolean;
}) {
  const t = view.t;
  const halted = new Map((rollouts ?? []).map((r) => [r.entry_id, r.halted !== null]));
  return (
    <Layout view={view} page="firmware" title={t('console.firmware.title')}>
      <h1>{t('console.firmware.title')}</h1>
      <Flash view={view} flash={flash} />
      {problem === null ? null : <Notice tone="bad">{problem}</Notice>}
      {dir === null ? <Notice tone="warn">{t('console.firmware.off')}</Notice> : null}
      <h2>{t('console.firmware.catalog')}</h2>
      {entries.length === 0 ? (
        <p class="muted">{t('console.firmware.empty')}</p>
      ) : (
        <div class="table-wrap">
          <table id="catalog">
            <thead>
              <tr>
                <th>{t('console.rollout.board')}</th>
                <th>{t('console.rollout.version')}</th>
                <th class="hide-narrow">{t('console.firmware.file')}</th>
                <th>{t('console.firmware.image')}</th>
                <th class="hide-narrow">{t('console.firmware.targeting')}</th>
                <th>{t('console.rollout.percent')}</th>
                <th>{t('console.rollout.state')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const id = entryIdOf(e);
                const isHalted = halted.get(id) === true;
                return (
                  <tr data-entry={id}>
                    <td class="mono">{e.board}</td>
                    <td class="mono">{e.version}</td>
                    <td class="mono hide-narrow">
                      {e.file}
                      <div class="muted">{`${e.size} B · sha256 ${e.sha256.slice(0, 12)}…`}</div>
                    </td>
                    <td>
                      <Badge tone="ok">
                        {t('console.firmware.image.ok', {
                          chip: e.image.chip ?? `chip ${e.image.chipId}`,
                          version: e.image.version,
                        })}
                      </Badge>
                    </td>
                    <td class="hide-narrow">
                      {e.force ? <div>force</div> : null}
                      {e.minVersion === null ? null : <div class="mono">{`min_version ${e.minVersion}`}</div>}
                      {e.devices === null ? null : <div>{`devices: ${e.devices.length}`}</div>}
                      {e.exclude.length === 0 ? null : <div>{`exclude: ${e.exclude.length}`}</div>}
                      {!e.force && e.minVersion === null && e.devices === null && e.exclude.length === 0 ? (
                        <span class="muted">{t('console.none')}</span>
                      ) : null}
                    </td>
                    <td>
                      {canEdit ? (
                        <form class="inline actions" method="post" action={`${BASE}/firmware/${id}/rollout`}>
                          <Csrf view={view} />
                          <label>
                            <span class="sr">{t('console.rollout.percent')}</span>
                            <input
                              type="number"
                              name="rollout"
                              min="0"
                              max="100"
                              step="0.01"
                              value={String(e.rollout)}
                              size={5}
                            />
                          </label>
                          <button type="submit" class="secondary">
                            {t('console.firmware.rollout.set')}
                          </button>
                        </form>
                      ) : (
                        `${e.rollout} %`
                      )}
                    </td>
                    <td>
                      <div class="actions">
                        {rollouts === null ? (
                          <span class="muted">{t('console.none')}</span>
                        ) : isHalted ? (
                          <Badge tone="bad">{t('console.rollout.halted')}</Badge>
                        ) : (
                          <Badge tone="ok">{t('console.rollout.active')}</Badge>
                        )}
                        {rollouts === null ? null : (
                          <form
                            class="inline"
                            method="post"
                            action={`${BASE}/firmware/${id}/${isHalted ? 'resume' : 'halt'}`}
                          >
                            <Csrf view={view} />
                            <input type="hidden" name="back" value={`${BASE}/firmware`} />
                            {isHalted ? (
                              <button type="submit">{t('console.rollout.resume')}</button>
                            ) : (
                              <button
                                type="submit"
                                class="danger"
                                data-confirm={t('console.rollout.halt.confirm')}
                              >
                                {t('console.rollout.halt')}
                              </button>
                            )}
                          </form>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {skipped.length === 0 ? null : (
        <>
          <h2>{t('console.firmware.skipped')}</h2>
          <Notice tone="warn">{t('console.firmware.skipped.note')}</Notice>
          <ul>
            {skipped.map((s) => (
              <li class="mono">{s}</li>
            ))}
          </ul>
        </>
      )}
      {rollouts === null ? null : (
        <>
          <h2>{t('console.overview.rollouts')}</h2>
          <RolloutTable view={view} rollouts={rollouts} />
        </>
      )}
      <h2>{t('console.firmware.upload')}</h2>
      {canEdit ? (
        <form
          class="panel"
          method="post"
          action={`${BASE}/firmware/preview`}
          enctype="multipart/form-data"
          id="upload"
        >
          <Csrf view={view} />
          <label class="drop">
            {t('console.firmware.upload.drop')}
            <input type="file" name="image" accept=".bin,application/octet-stream" required />
            <span class="file-name mono"></span>
          </label>
          <div class="filters">
            <label>
              {t('console.firmware.upload.board')}
              <input type="text" name="board" required size={24} />
            </label>
            <label>
              {t('console.firmware.upload.rollout')}
              <input type="number" name="rollout" min="0" max="100" step="0.01" value="100" size={5} />
            </label>
            <button type="submit">{t('console.firmware.upload.preview')}</button>
          </div>
          <p class="muted">{t('console.firmware.upload.check-note')}</p>
        </form>
      ) : (
        <p class="muted">{t('console.firmware.unavailable')}</p>
      )}
    </Layout>
  );
}

function PreviewPage({
  view,
  upload,
  verdict,
  staged,
}: {
  view: View;
  upload: UploadRequest;
  verdict: UploadVerdict;
  staged: string | null;
}) {
  const t = view.t;
  return (
    <Layout view={view} page="firmware" title={t('console.firmware.preview.title')}>
      <h1>{t('console.firmware.preview.title')}</h1>
      {verdict.ok ? (
        <Notice tone="ok">{t('console.firmware.preview.ok')}</Notice>
      ) : (
        <Notice tone="bad">{t('console.firmware.preview.refused', { reason: verdict.reason })}</Notice>
      )}
      <section class="panel">
        <dl class="facts" id="preview">
          <dt>{t('console.firmware.file')}</dt>
          <dd class="mono">{`${upload.name} (${upload.image.length} B)`}</dd>
          <dt>{t('console.rollout.board')}</dt>
          <dd class="mono">{upload.board}</dd>
          {verdict.ok ? (
            <>
              <dt>{t('console.firmware.preview.version')}</dt>
              <dd class="mono" id="preview-version">
                {verdict.version}
              </dd>
              <dt>{t('console.firmware.preview.chip')}</dt>
              <dd class="mono" id="preview-chip">
                <Maybe view={view} value={verdict.chip} />
              </dd>
              <dt>{t('console.firmware.preview.file')}</dt>
              <dd class="mono">{verdict.file}</dd>
              <dt>sha256</dt>
              <dd class="mono">{verdict.sha256}</dd>
              <dt>{t('console.rollout.percent')}</dt>
              <dd>{`${verdict.rollout} %`}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <div class="actions">
        {verdict.ok && staged !== null ? (
          <form method="post" action={`${BASE}/firmware/commit`}>
            <Csrf view={view} />
            <input type="hidden" name="staged" value={staged} />
            <button type="submit">{t('console.firmware.preview.commit')}</button>
          </form>
        ) : null}
        <a href={`${BASE}/firmware`}>{t('console.firmware.preview.cancel')}</a>
      </div>
    </Layout>
  );
}
