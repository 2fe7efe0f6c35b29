/**
 * The attacker of `npm run bench:hostile` (and of the pipelining-flood test), run as its own process so
 * that its own work never lands on the event loop it measures. Takes one job over IPC
 * (`{ type: 'job', job }`), says `{ type: 'started' }` once every connection of the job is open and its
 * requests are on their way, answers `{ type: 'result', … }` (or `{ type: 'error', message }`), and waits for the next job.
 *
 *   node --import tsx bench/hostile-attack.ts
 *
 * Jobs:
 * - `pipelining`: `connections` attackers each write `pipelined` copies of one request at once on a
 *   keep-alive connection, read until the proxy closes it, and reconnect, until `durationMs` is over.
 * - `hold`: `count` requests on their own connections, each left waiting on the proxy until `durationMs`.
 * - `downloads`: `count` plain GETs of `path` (`Connection: close`), read to the end.
 */
import net from 'node:net';

export interface PipeliningJob {
  readonly kind: 'pipelining';
  readonly port: number;
  /** The request's exact bytes, base64 (keep-alive: no `Connection: close`). */
  readonly request: string;
  readonly pipelined: number;
  readonly connections: number;
  readonly durationMs: number;
  /** Bytes of each connection's replies kept for the caller (base64); the rest is only counted. */
  readonly keepBytes: number;
}

export interface PipeliningResult {
  readonly type: 'result';
  readonly kind: 'pipelining';
  /** One per connection made. */
  readonly rounds: readonly {
    /** The first `keepBytes` bytes of the replies, base64. */
    readonly replies: string;
    readonly bytes: number;
    /** The proxy closed it (rather than the attacker at the end of the job). */
    readonly closedByProxy: boolean;
    readonly reset: boolean;
    /** From connecting to the connection's end. */
    readonly ms: number;
  }[];
}

export interface HoldJob {
  readonly kind: 'hold';
  readonly port: number;
  /** The request's exact bytes, base64. */
  readonly request: string;
  readonly count: number;
  readonly durationMs: number;
}

export interface HoldResult {
  readonly type: 'result';
  readonly kind: 'hold';
  /** Status of each request's reply, or 0 when none came before the end of the job. */
  readonly statuses: readonly number[];
  /** Connections reset or closed without a complete reply head. */
  readonly lost: number;
}

export interface DownloadsJob {
  readonly kind: 'downloads';
  readonly port: number;
  readonly path: string;
  readonly count: number;
  /** The body length a complete download has. */
  readonly expectBytes: number;
  readonly timeoutMs: number;
}

export interface DownloadsResult {
  readonly type: 'result';
  readonly kind: 'downloads';
  readonly complete: number;
  /** Reset, cut short, or not a 200. */
  readonly lost: number;
}

export type AttackJob = PipeliningJob | HoldJob | DownloadsJob;
export type AttackResult = PipeliningResult | HoldResult | DownloadsResult;

async function pipelining(job: PipeliningJob): Promise<PipeliningResult> {
  const flood = Buffer.concat(
    Array.from({ length: job.pipelined }, () => Buffer.from(job.request, 'base64')),
  );
  const until = performance.now() + job.durationMs;
  const rounds: PipeliningResult['rounds'][number][] = [];
  let started = 0;
  const attacker = async (): Promise<void> => {
    let first = true;
    while (performance.now() < until) {
      rounds.push(
        await new Promise((resolve) => {
          const kept: Buffer[] = [];
          let bytes = 0;
          let reset = false;
          let stoppedByUs = false;
          const began = performance.now();
          const socket = net.connect({ host: '127.0.0.1', port: job.port });
          const stop = setTimeout(
            () => {
              stoppedByUs = true;
              socket.destroy();
            },
            Math.max(0, until - performance.now()),
          );
          socket.on('data', (chunk: Buffer) => {
            if (bytes < job.keepBytes) kept.push(chunk.subarray(0, job.keepBytes - bytes));
            bytes += chunk.length;
          });
          socket.on('error', () => (reset = true));
          socket.on('close', () => {
            clearTimeout(stop);
            resolve({
              replies: Buffer.concat(kept).toString('base64'),
              bytes,
              closedByProxy: !stoppedByUs,
              reset,
              ms: Math.round(performance.now() - began),
            });
          });
          // Written at once: the kernel takes what fits, the rest waits for the proxy to read it.
          socket.write(flood);
          socket.once('connect', () => {
            if (!first) return;
            first = false;
            started += 1;
            if (started === job.connections) process.send?.({ type: 'started' });
          });
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: job.connections }, attacker));
  return { type: 'result', kind: 'pipelining', rounds };
}

async function hold(job: HoldJob): Promise<HoldResult> {
  const request = Buffer.from(job.request, 'base64');
  const statuses: number[] = [];
  let lost = 0;
  let written = 0;
  // A connection the proxy ends without a reply before this counts as lost (the attacker's own end does not).
  const deadline = performance.now() + job.durationMs - 50;
  await Promise.all(
    Array.from(
      { length: job.count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port: job.port });
          let head = '';
          let status = 0;
          const stop = setTimeout(() => socket.destroy(), job.durationMs);
          socket.on('data', (chunk: Buffer) => {
            if (status !== 0) return;
            head += chunk.toString('latin1');
            const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(head);
            if (match && head.includes('\r\n\r\n')) status = Number(match[1]);
          });
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearTimeout(stop);
            statuses.push(status);
            // Ended by the proxy without a reply head, before the job was over.
            if (status === 0 && socket.bytesRead === 0 && performance.now() < deadline) lost += 1;
            resolve();
          });
          socket.write(request, () => {
            written += 1;
            if (written === job.count) process.send?.({ type: 'started' });
          });
        }),
    ),
  );
  return { type: 'result', kind: 'hold', statuses, lost };
}

async function downloads(job: DownloadsJob): Promise<DownloadsResult> {
  let complete = 0;
  let lost = 0;
  let written = 0;
  await Promise.all(
    Array.from(
      { length: job.count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port: job.port });
          const chunks: Buffer[] = [];
          const stop = setTimeout(() => socket.destroy(), job.timeoutMs);
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearTimeout(stop);
            const raw = Buffer.concat(chunks);
            const end = raw.indexOf('\r\n\r\n');
            const ok = end > 0 && raw.subarray(0, 12).toString('latin1') === 'HTTP/1.1 200';
            if (ok && raw.length - end - 4 === job.expectBytes) complete += 1;
            else lost += 1;
            resolve();
          });
          socket.write(
            `GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\nConnection: close\r\n\r\n`,
            () => {
              written += 1;
              if (written === job.count) process.send?.({ type: 'started' });
            },
          );
        }),
    ),
  );
  return { type: 'result', kind: 'downloads', complete, lost };
}

function run(job: AttackJob): Promise<AttackResult> {
  switch (job.kind) {
    case 'pipelining':
      return pipelining(job);
    case 'hold':
      return hold(job);
    case 'downloads':
      return downloads(job);
    default: {
      const never: never = job;
      throw new Error(`unknown job ${JSON.stringify(never)}`);
    }
  }
}

process.on('message', (message: { type?: string; job?: AttackJob }) => {
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
