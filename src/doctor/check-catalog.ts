/**
 * Every catalog entry's image check (docs/configuration.md "Catalog"; docs/device-contract.md §5): what was validated for
 * the entries in use, why the others are skipped, and where an entry's external `url` points.
 */
import { renderTemplate } from '../config/template.js';
import type { ConfigIssue } from '../errors.js';
import type { Catalog, CatalogEntry } from '../firmware/types.js';
import type { Translate } from '../i18n/translate.js';
import { isOwnOrigin, probeKey, type ProbeTarget } from './check-transport.js';
import { finding, type Finding } from './findings.js';
import { endpointOf, judgeHost } from './host-kind.js';
import type { DoctorContext } from './reply-readout.js';
import { describeProbe, type ProbeResult } from './tcp-probe.js';

export interface CatalogInput {
  readonly ctx: DoctorContext;
  /** `null` when `firmware.dir` is not set. */
  readonly load: { readonly ok: boolean; readonly issues: readonly ConfigIssue[] } | null;
  readonly catalog: Catalog | null;
}

/** The external URL an entry hands out, rendered for the devices' origin. */
function entryUrl(entry: CatalogEntry, ctx: DoctorContext): string | null {
  return entry.url === null ? null : renderTemplate(entry.url, ctx.deviceOrigin, 'http');
}

/** External download hosts of the catalog, to connect to once each. */
export function catalogProbes({ ctx, catalog }: CatalogInput): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const entry of catalog?.entries ?? []) {
    const url = entryUrl(entry, ctx);
    const endpoint = url === null ? null : endpointOf(url);
    if (endpoint !== null && endpoint.port !== null && !isOwnOrigin(endpoint, ctx))
      out.push({ host: endpoint.host, port: endpoint.port });
  }
  return out;
}

export function checkCatalog(input: CatalogInput, probes: ReadonlyMap<string, ProbeResult>): Finding[] {
  const { ctx, load, catalog } = input;
  const { t } = ctx;
  const dir = ctx.config.firmware.dir;
  if (dir === null || load === null)
    return [finding('catalog.loaded', 'catalog', 'skip', t('doctor.catalog.no-dir'))];
  if (!load.ok) {
    return [
      finding('catalog.loaded', 'catalog', 'fail', t('doctor.catalog.unusable', { dir }), {
        detail: load.issues.map((i) => i.message),
        fix: t('doctor.catalog.unusable.fix'),
      }),
    ];
  }
  const entries = catalog?.entries ?? [];
  const skipped = load.issues.length;
  const out: Finding[] = [
    finding(
      'catalog.loaded',
      'catalog',
      'pass',
      skipped > 0
        ? t('doctor.catalog.loaded-skipped', { count: entries.length, dir, skipped })
        : t('doctor.catalog.loaded', { count: entries.length, dir }),
    ),
  ];
  for (const entry of entries) out.push(entryFinding(entry, ctx, probes));
  load.issues.forEach((issue, i) => {
    out.push(
      finding(`catalog.issue[${i}]`, 'catalog', 'warn', issue.message, {
        fix: t('doctor.catalog.issue.fix'),
      }),
    );
  });
  return out;
}

function entryFinding(
  entry: CatalogEntry,
  ctx: DoctorContext,
  probes: ReadonlyMap<string, ProbeResult>,
): Finding {
  const { t } = ctx;
  const id = `catalog.entry[${entry.index}]`;
  const { image } = entry;
  const detail = [
    t('doctor.catalog.entry.image', {
      chip: image.chip ?? t('doctor.catalog.entry.chip-id', { id: image.chipId }),
      version: image.version,
      project: image.projectName,
      idf: image.idfVersion,
    }),
    t('doctor.catalog.entry.size', { size: entry.size, sha256: entry.sha256.slice(0, 16) }),
    rolloutLine(entry, t),
  ];
  const title = t('doctor.catalog.entry', { board: entry.board, version: entry.version, file: entry.file });
  const url = entryUrl(entry, ctx);
  if (url === null)
    return finding(
      id,
      'catalog',
      'pass',
      t('doctor.catalog.entry.served', { entry: title, file: entry.file }),
      {
        detail,
      },
    );
  const endpoint = endpointOf(url);
  if (
    endpoint === null ||
    endpoint.port === null ||
    (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')
  ) {
    return finding(id, 'catalog', 'fail', t('doctor.catalog.entry.not-http', { entry: title, url }), {
      detail,
    });
  }
  if (isOwnOrigin(endpoint, ctx))
    return finding(id, 'catalog', 'pass', t('doctor.catalog.entry.own', { entry: title, url }), { detail });
  const judged = judgeHost(endpoint.host, ctx.deviceHost, t);
  const result = probes.get(probeKey({ host: endpoint.host, port: endpoint.port }));
  detail.push(
    t('doctor.catalog.entry.url', {
      url,
      why: judged.why,
      probe: result === undefined ? t('doctor.not-probed') : describeProbe(result, t),
    }),
  );
  const status =
    judged.verdict === 'fail' || result?.kind === 'refused'
      ? 'fail'
      : judged.verdict === 'warn' || (result !== undefined && result.kind !== 'open')
        ? 'warn'
        : 'pass';
  return finding(id, 'catalog', status, t('doctor.catalog.entry.external', { entry: title, url }), {
    detail,
  });
}

/** `rollout 100 %, pinned (force), min_version 1.6.0, 2 listed device(s), 1 excluded`. */
function rolloutLine(entry: CatalogEntry, t: Translate): string {
  const parts = [t('doctor.catalog.entry.rollout', { percent: entry.rollout })];
  if (entry.force) parts.push(t('doctor.catalog.entry.pinned'));
  if (entry.minVersion) parts.push(t('doctor.catalog.entry.min-version', { version: entry.minVersion }));
  if (entry.devices) parts.push(t('doctor.catalog.entry.devices', { n: entry.devices.length }));
  if (entry.exclude.length > 0) parts.push(t('doctor.catalog.entry.excluded', { n: entry.exclude.length }));
  return parts.join(t('doctor.list-separator'));
}
