/**
 * Firmware: the catalog with each image's check, its rollout (changed here), halt and resume; adding an
 * image in two steps — the upload's dry run shows the version and chip read from the image (or why it is
 * refused, nothing changed), then the operator confirms. Every action calls the service the JSON API calls
 * (src/operations/), so the checks, the catalog write and the audit are the same.
 */
import { Hono } from 'hono';
import type { RolloutFigures } from '../../../fleet/rollout-figures.js';
import { OperationError } from '../../../operations/errors.js';
import type { UploadJson } from '../../../operations/firmware-upload.js';
import type { CatalogEntryJson, CatalogJson } from '../../../operations/operations.js';
import {
  actorOf,
  back,
  page,
  safeNext,
  type ConsoleContext,
  type ConsoleDeps,
  type ConsoleEnv,
} from '../console-app.js';
import { UploadStaging, type StagedUpload } from '../upload-staging.js';
import { Flash, flashOf, flashQuery, type FlashCode, type FlashState } from '../views/flash.js';
import { Badge, BASE, Csrf, Layout, Maybe, Notice, type View } from '../views/parts.js';
import { RolloutTable } from '../views/rollouts.js';

type Verdict =
  | { readonly ok: true; readonly entry: UploadJson['entry'] }
  | { readonly ok: false; readonly reason: string };

export function firmwareRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const staging = new UploadStaging();
  const ops = deps.operations;

  /** An upload checked (dry run) or added; a refusal is the service's sentence, nothing changed. */
  const upload = async (c: ConsoleContext, staged: StagedUpload, dryRun: boolean): Promise<Verdict> => {
    try {
      const done = await ops.upload(
        { image: staged.image, board: staged.board, rollout: staged.rollout ?? undefined },
        { dryRun },
        actorOf(c),
      );
      return { ok: true, entry: done.entry };
    } catch (error) {
      if (error instanceof OperationError) return { ok: false, reason: error.message };
      throw error;
    }
  };

  app.get('/', async (c) =>
    page(c, await firmwarePage(c, deps, flashOf(c.req.query('done'), c.req.query('v')))),
  );

  app.post('/preview', async (c) => {
    const view = c.var.view;
    const staged = await readUpload(c.var.form);
    if (typeof staged === 'string') return page(c, await firmwarePage(c, deps, null, staged), 400);
    const verdict = await upload(c, staged, true);
    const id = verdict.ok ? staging.hold(staged, c.var.session.nonce, view.now) : null;
    return page(c, PreviewPage({ view, staged, verdict, id }), verdict.ok ? 200 : 422);
  });

  app.post('/commit', async (c) => {
    const view = c.var.view;
    const id = c.var.form.staged;
    const staged = typeof id === 'string' ? staging.take(id, c.var.session.nonce, view.now) : null;
    if (staged === null)
      return page(c, await firmwarePage(c, deps, null, view.t('console.firmware.preview.gone')), 409);
    const verdict = await upload(c, staged, false);
    if (!verdict.ok) return page(c, PreviewPage({ view, staged, verdict, id: null }), 422);
    return back(c, `/firmware?${flashQuery('added', `${verdict.entry.board}\n${verdict.entry.version}`)}`);
  });

  app.post('/:entry/rollout', async (c) => {
    const percent = readPercent(c.var.form.rollout);
    if (percent === null)
      return page(c, await firmwarePage(c, deps, null, '`rollout` must be a number from 0 to 100'), 400);
    try {
      await ops.patchEntry(c.req.param('entry'), { rollout: percent }, actorOf(c));
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      return page(c, await firmwarePage(c, deps, null, error.message), 400);
    }
    return back(c, `/firmware?${flashQuery('rollout', String(percent))}`);
  });

  const haltOrResume = (action: 'halt' | 'resume') => async (c: ConsoleContext) => {
    const entryId = c.req.param('entry') ?? '';
    try {
      await (action === 'halt'
        ? ops.halt({ entryId }, actorOf(c), 'halted from the console')
        : ops.resume({ entryId }, actorOf(c)));
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      return returnTo(c, error.operationCode === 'CONFLICT' ? 'unchanged' : 'unknown-entry');
    }
    return returnTo(c, action === 'halt' ? 'halted' : 'resumed');
  };
  app.post('/:entry/halt', haltOrResume('halt'));
  app.post('/:entry/resume', haltOrResume('resume'));
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

function readPercent(value: unknown): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? Math.round(n * 100) / 100 : null;
}

async function readUpload(form: Record<string, string | File>): Promise<StagedUpload | string> {
  const file = form.image;
  if (!(file instanceof File) || file.size === 0) return 'choose an app image (.bin) to upload';
  const board = typeof form.board === 'string' ? form.board.trim() : '';
  if (board === '') return '`board` is required';
  const rolloutText = typeof form.rollout === 'string' ? form.rollout.trim() : '';
  const rollout = rolloutText === '' ? null : readPercent(rolloutText);
  if (rolloutText !== '' && rollout === null) return '`rollout` must be a number from 0 to 100';
  return { image: new Uint8Array(await file.arrayBuffer()), name: file.name.slice(0, 200), board, rollout };
}

async function firmwarePage(
  c: ConsoleContext,
  deps: ConsoleDeps,
  flash: FlashState | null,
  problem: string | null = null,
) {
  const [catalog, rollouts] = await Promise.all([
    deps.operations.catalog(),
    deps.state.fleet === null ? null : deps.operations.rollouts(),
  ]);
  return FirmwarePage({
    view: c.var.view,
    dir: deps.state.config().firmware.dir,
    catalog,
    rollouts,
    flash,
    problem,
  });
}

function FirmwarePage({
  view,
  dir,
  catalog,
  rollouts,
  flash,
  problem,
}: {
  view: View;
  dir: string | null;
  catalog: CatalogJson;
  rollouts: readonly RolloutFigures[] | null;
  flash: FlashState | null;
  problem: string | null;
}) {
  const t = view.t;
  return (
    <Layout view={view} page="firmware" title={t('console.firmware.title')}>
      <h1>{t('console.firmware.title')}</h1>
      <Flash view={view} flash={flash} />
      {problem === null ? null : <Notice tone="bad">{problem}</Notice>}
      {dir === null ? <Notice tone="warn">{t('console.firmware.off')}</Notice> : null}
      {catalog.problems.map((p) => (
        <Notice tone="bad">{p}</Notice>
      ))}
      <h2>{t('console.firmware.catalog')}</h2>
      {catalog.entries.length === 0 ? (
        <p class="muted">{t('console.firmware.empty')}</p>
      ) : (
        <CatalogTable view={view} entries={catalog.entries} rollouts={rollouts} />
      )}
      {rollouts === null ? null : (
        <>
          <h2>{t('console.overview.rollouts')}</h2>
          <RolloutTable view={view} rollouts={rollouts} />
        </>
      )}
      <h2>{t('console.firmware.upload')}</h2>
      {dir === null ? (
        <p class="muted">{t('console.firmware.off')}</p>
      ) : (
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
      )}
    </Layout>
  );
}

function CatalogTable({
  view,
  entries,
  rollouts,
}: {
  view: View;
  entries: readonly CatalogEntryJson[];
  rollouts: readonly RolloutFigures[] | null;
}) {
  const t = view.t;
  const halted = new Map((rollouts ?? []).map((r) => [r.entry_id, r.halted !== null]));
  return (
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
            const id = e.entry_id;
            const isHalted = id !== null && halted.get(id) === true;
            return (
              <tr data-entry={id ?? ''}>
                <td class="mono">
                  <Maybe view={view} value={e.board} />
                </td>
                <td class="mono">
                  <Maybe view={view} value={e.version} />
                </td>
                <td class="mono hide-narrow">
                  <Maybe view={view} value={e.file} />
                  {e.size === null ? null : (
                    <div class="muted">{`${e.size} B${e.sha256 === null ? '' : ` · sha256 ${e.sha256.slice(0, 12)}…`}`}</div>
                  )}
                </td>
                <td>
                  {e.check === 'ok' ? (
                    <Badge tone="ok">
                      {t('console.firmware.image.ok', {
                        chip: e.chip ?? t('console.none'),
                        version: e.image?.version ?? e.version ?? '',
                      })}
                    </Badge>
                  ) : (
                    <>
                      <Badge tone="bad">{t('console.firmware.skipped')}</Badge>
                      {e.problems.map((p) => (
                        <div class="mono">{p}</div>
                      ))}
                    </>
                  )}
                </td>
                <td class="hide-narrow">
                  {e.force ? <div>force</div> : null}
                  {e.min_version === null ? null : <div class="mono">{`min_version ${e.min_version}`}</div>}
                  {e.devices === null ? null : <div>{`devices: ${e.devices.length}`}</div>}
                  {e.exclude.length === 0 ? null : <div>{`exclude: ${e.exclude.length}`}</div>}
                  {!e.force && e.min_version === null && e.devices === null && e.exclude.length === 0 ? (
                    <span class="muted">{t('console.none')}</span>
                  ) : null}
                </td>
                <td>
                  {id === null ? (
                    <Maybe view={view} value={e.rollout} />
                  ) : (
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
                          value={String(e.rollout ?? 100)}
                          size={5}
                        />
                      </label>
                      <button type="submit" class="secondary">
                        {t('console.firmware.rollout.set')}
                      </button>
                    </form>
                  )}
                </td>
                <td>
                  <div class="actions">
                    {rollouts === null || id === null || e.check !== 'ok' ? (
                      <span class="muted">{t('console.none')}</span>
                    ) : (
                      <>
                        {isHalted ? (
                          <Badge tone="bad">{t('console.rollout.halted')}</Badge>
                        ) : (
                          <Badge tone="ok">{t('console.rollout.active')}</Badge>
                        )}
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
                      </>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function PreviewPage({
  view,
  staged,
  verdict,
  id,
}: {
  view: View;
  staged: StagedUpload;
  verdict: Verdict;
  id: string | null;
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
          <dd class="mono">{`${staged.name} (${staged.image.length} B)`}</dd>
          <dt>{t('console.rollout.board')}</dt>
          <dd class="mono">{staged.board}</dd>
          {verdict.ok ? (
            <>
              <dt>{t('console.firmware.preview.version')}</dt>
              <dd class="mono" id="preview-version">
                {verdict.entry.version}
              </dd>
              <dt>{t('console.firmware.preview.chip')}</dt>
              <dd class="mono" id="preview-chip">
                <Maybe view={view} value={verdict.entry.chip} />
              </dd>
              <dt>{t('console.firmware.preview.file')}</dt>
              <dd class="mono">{verdict.entry.file}</dd>
              <dt>sha256</dt>
              <dd class="mono">{verdict.entry.sha256}</dd>
              <dt>{t('console.rollout.percent')}</dt>
              <dd>{`${verdict.entry.rollout} %`}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <div class="actions">
        {verdict.ok && id !== null ? (
          <form method="post" action={`${BASE}/firmware/commit`}>
            <Csrf view={view} />
            <input type="hidden" name="staged" value={id} />
            <button type="submit">{t('console.firmware.preview.commit')}</button>
          </form>
        ) : null}
        <a href={`${BASE}/firmware`}>{t('console.firmware.preview.cancel')}</a>
      </div>
    </Layout>
  );
}
