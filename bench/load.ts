/**
 * The load generator, run as its own process so it never shares an event loop with what it measures.
 * Takes one job over IPC (`{ type: 'job', job }`), answers `{ type: 'result', … }` or
 * `{ type: 'error', message }`, and waits for the next job; it ends with the orchestrator.
 *
 *   node --import tsx bench/load.ts
 */
import { runClosed, type ClosedJob, type ClosedResult } from './load-closed.js';
import { runDownloads, type DownloadJob, type DownloadResult } from './load-download.js';
import { runRate, type RateJob, type RateResult } from './load-rate.js';

export type LoadJob = ClosedJob | RateJob | DownloadJob;
export type LoadResult = ClosedResult | RateResult | DownloadResult;

function run(job: LoadJob): Promise<LoadResult> {
  switch (job.kind) {
    case 'closed':
      return runClosed(job);
    case 'rate':
      return runRate(job);
    case 'download':
      return runDownloads(job);
    default: {
      const never: never = job;
      throw new Error(`unknown job ${JSON.stringify(never)}`);
    }
  }
}

process.on('message', (message: { type?: string; job?: LoadJob }) => {
  if (message.type !== 'job' || message.job === undefined) return;
  run(message.job).then(
    (result) => process.send?.(result),
    (error: unknown) =>
      process.send?.({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
process.once('disconnect', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
process.send?.({ type: 'ready' });
