/**
 * Every catalog entry's image check (CONFIG.md "Catalog"; device-contract.md §5): what was validated for
 * the entries in use, why the others are skipped, and where an entry's external `url` points.
 */
import { renderTemplate } from '../config/template.js';
import type { ConfigIssue } from '../errors.js';
import type { Catalog, CatalogEntry } from '../firmware/types.js';
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
  const dir = ctx.config.firmware.dir;
  if (dir === null || load === null)
    return [
      finding(
        'catalog.loaded',
        'catalog',
        'skip',
        'no firmware.dir: the proxy offers no firmware of its own',
      ),
    ];
  if (!load.ok) {
    return [
      finding(
        'catalog.loaded',
        'catalog',
        'fail',
        `the catalog in ${dir} cannot be used: the proxy does not start with it`,
        {
          detail: load.issues.map((i) => i.message),
          fix: 'Fix catalog.yaml (an empty file is an empty catalog).',
        },
      ),
    ];
  }
  const entries = catalog?.entries ?? [];
  const out: Finding[] = [
    finding(
      'catalog.loaded',
      'catalog',
      'pass',
      `${entries.length} catalog entr${entries.length === 1 ? 'y' : 'ies'} in use from ${dir}${load.issues.length > 0 ? `, ${load.issues.length} skipped` : ''}`,
    ),
  ];
  for (const entry of entries) out.push(entryFinding(entry, ctx, probes));
  load.issues.forEach((issue, i) => {
    out.push(
      finding(`catalog.issue[${i}]`, 'catalog', 'warn', issue.message, {
        fix: 'The entry is skipped (the others keep working); devices are not offered it until it is fixed.',
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
  const id = `catalog.entry[${entry.index}]`;
  const { image } = entry;
  const detail = [
    `app image for ${image.chip ?? `chip id ${image.chipId}`}, embedded version ${image.version} (matches), project ${image.projectName}, IDF ${image.idfVersion}`,
    `${entry.size} bytes, sha256 ${entry.sha256.slice(0, 16)}…`,
    `rollout ${entry.rollout} %${entry.force ? ', pinned (force)' : ''}${entry.minVersion ? `, min_version ${entry.minVersion}` : ''}${entry.devices ? `, ${entry.devices.length} listed device(s)` : ''}${entry.exclude.length > 0 ? `, ${entry.exclude.length} excluded` : ''}`,
  ];
  const title = `${entry.board} ${entry.version} (${entry.file})`;
  const url = entryUrl(entry, ctx);
  if (url === null)
    return finding(id, 'catalog', 'pass', `${title}: served by the proxy at /firmware/${entry.file}`, {
      detail,
    });
  const endpoint = endpointOf(url);
  if (
    endpoint === null ||
    endpoint.port === null ||
    (endpoint.scheme !== 'http' && endpoint.scheme !== 'https')
  ) {
    return finding(
      id,
      'catalog',
      'fail',
      `${title}: its url ${url} is not an http(s) URL a device can download`,
      { detail },
    );
  }
  if (isOwnOrigin(endpoint, ctx))
    return finding(id, 'catalog', 'pass', `${title}: offered at ${url} (this proxy)`, { detail });
  const judged = judgeHost(endpoint.host, ctx.deviceHost);
  const result = probes.get(probeKey({ host: endpoint.host, port: endpoint.port }));
  detail.push(`url ${url}: ${judged.why}; ${result === undefined ? 'not probed' : describeProbe(result)}`);
  const status =
    judged.verdict === 'fail' || result?.kind === 'refused'
      ? 'fail'
      : judged.verdict === 'warn' || (result !== undefined && result.kind !== 'open')
        ? 'warn'
        : 'pass';
  return finding(id, 'catalog', status, `${title}: offered at ${url}`, { detail });
}
