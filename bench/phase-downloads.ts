/**
 * Phase 3 — firmware serving: 200 devices downloading the 4 MiB image at once, again and again for a
 * fixed time, from the proxy's `/firmware/` and from nginx serving the same file with sendfile. The
 * proxy's peak RSS over its runs is measured (VmHWM reset before, RSS sampled during).
 */
import { createHash } from 'node:crypto';
import { DOWNLOAD_ENTRY } from './catalog-plan.js';
import type { BenchContext } from './context.js';
import type { DownloadResult } from './load-download.js';
import { rawExchange, runLoad } from './processes.js';
import { memory, resetPeak, sampleRss } from './proc-stats.js';
import type { DownloadRun, FirmwareServing } from './results.js';
import { median, ratio } from './stats.js';

export interface DownloadOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
}

/** Interleaved download rounds against the proxy and nginx; `sha256` is the image's expected hash. */
export async function measureDownloads(
  ctx: BenchContext,
  { rounds, seconds, connections }: DownloadOptions,
  sha256: string,
): Promise<FirmwareServing> {
  const path = `/firmware/${DOWNLOAD_ENTRY.file}`;
  const integrity = {
    proxy: await servesImage(ctx.proxy.port, path, sha256),
    nginx: ctx.nginx ? await servesImage(ctx.nginx.port, path, sha256) : null,
  };
  if (!integrity.proxy) throw new Error(`the proxy's ${path} is not the catalog image`);

  const pid = ctx.proxy.child.pid;
  const peakReset = resetPeak(pid);
  let peakSampled = 0;
  const runs: { proxy: DownloadRun[]; nginx: DownloadRun[] } = { proxy: [], nginx: [] };
  const targets: ('proxy' | 'nginx')[] = ctx.nginx ? ['proxy', 'nginx'] : ['proxy'];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const target of order) {
      ctx.progress(`3. firmware downloads, ${connections} at once — round ${round}/${rounds}: ${target}`);
      const port = target === 'proxy' ? ctx.proxy.port : (ctx.nginx?.port ?? 0);
      const sampler = target === 'proxy' ? sampleRss(pid, 25) : null;
      const result = await runLoad<DownloadResult>(
        ctx.load,
        {
          kind: 'download',
          port,
          path,
          connections,
          durationMs: seconds * 1000,
          expectedSize: DOWNLOAD_ENTRY.size,
        },
        seconds * 1000 + 60_000,
      );
      if (sampler) peakSampled = Math.max(peakSampled, sampler.stop().maxSampledMiB);
      runs[target].push({
        round,
        mibPerSecond: result.mibPerSecond,
        completed: result.completed,
        failures: result.failures,
        downloadMs: result.downloadMs,
      });
    }
  }
  const hwm = peakReset ? memory(pid).hwmMiB : null;
  const proxyMedian = median(runs.proxy.map((r) => r.mibPerSecond));
  const nginxMedian = median(runs.nginx.map((r) => r.mibPerSecond));
  return {
    imageBytes: DOWNLOAD_ENTRY.size,
    connections,
    seconds,
    runs,
    median: { proxy: proxyMedian, nginx: ctx.nginx ? nginxMedian : null },
    proxyToNginx: ctx.nginx
      ? median(
          runs.proxy.map((p) =>
            ratio(p.mibPerSecond, runs.nginx.find((n) => n.round === p.round)?.mibPerSecond ?? null),
          ),
        )
      : null,
    proxyPeakRssMiB: hwm !== null ? Math.max(hwm, peakSampled) : peakSampled,
    peakSource: hwm !== null ? 'VmHWM' : 'sampled',
    integrity,
  };
}

/** Downloads the image once as a device would and compares its sha256 with the catalog file's. */
async function servesImage(port: number, path: string, sha256: string): Promise<boolean> {
  const reply = await rawExchange(
    port,
    Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, 'latin1'),
  );
  return (
    reply.status === 200 &&
    reply.framing === 'content-length' &&
    createHash('sha256').update(reply.body).digest('hex') === sha256
  );
}
