/**
 * Concurrent firmware downloads as devices make them (docs/device-contract.md §5): a plain `GET` with only
 * `Host` and `Connection: close`, read to the end. Each of `connections` workers downloads again and
 * again until the time is up; throughput counts every body byte received inside the window. Each
 * complete download is checked: status 200, an exact `Content-Length`, no chunking or compression, and
 * the whole image.
 */
import net from 'node:net';
import { summarizeLatencies, type LatencySummary } from './stats.js';

export interface DownloadJob {
  readonly kind: 'download';
  readonly port: number;
  readonly path: string;
  readonly connections: number;
  readonly durationMs: number;
  readonly expectedSize: number;
}

export interface DownloadResult {
  readonly type: 'result';
  readonly kind: 'download';
  readonly bodyBytes: number;
  readonly windowMs: number;
  readonly mibPerSecond: number;
  readonly completed: number;
  /** Downloads still running when the window closed (their bytes count, they do not). */
  readonly cutAtDeadline: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly downloadMs: LatencySummary;
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Runs `connections` download loops until `durationMs` is up; counts bytes and checks every download. */
export async function runDownloads(job: DownloadJob): Promise<DownloadResult> {
  const request = Buffer.from(
    `GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  const failures: Record<string, number> = {};
  const times: number[] = [];
  const open = new Set<net.Socket>();
  let bodyBytes = 0;
  let completed = 0;
  let closed = false;
  let cut = 0;
  const start = performance.now();
  const deadline = start + job.durationMs;
  const fail = (reason: string): void => {
    failures[reason] = (failures[reason] ?? 0) + 1;
  };

  const downloadOnce = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const began = performance.now();
      const socket = net.connect({ host: '127.0.0.1', port: job.port, noDelay: true });
      open.add(socket);
      let head: Buffer | null = Buffer.alloc(0);
      let declared = -1;
      let received = 0;
      let verdict: string | null = null;
      socket.on('data', (chunk: Buffer) => {
        if (head !== null) {
          head = Buffer.concat([head, chunk]);
          const at = head.indexOf(HEAD_END);
          if (at === -1) return;
          verdict = judgeHead(head.subarray(0, at).toString('latin1'), job.expectedSize);
          const match = /\r\nContent-Length: (\d+)\r\n/.exec(
            `${head.subarray(0, at).toString('latin1')}\r\n`,
          );
          declared = match ? Number(match[1]) : -1;
          const rest = head.length - at - HEAD_END.length;
          head = null;
          received += rest;
          bodyBytes += rest;
          return;
        }
        received += chunk.length;
        bodyBytes += chunk.length;
      });
      socket.once('close', () => {
        open.delete(socket);
        if (closed) {
          resolve();
          return;
        }
        if (verdict !== null) fail(verdict);
        else if (declared !== job.expectedSize || received !== declared) fail('incomplete-body');
        else {
          completed += 1;
          times.push(performance.now() - began);
        }
        resolve();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!closed) fail(error.code ?? 'error');
      });
      socket.write(request);
    });

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && !closed) await downloadOnce();
  };
  const timer = setTimeout(() => {
    closed = true;
    cut = open.size;
    for (const socket of open) socket.destroy();
  }, job.durationMs);
  await Promise.all(Array.from({ length: job.connections }, worker));
  clearTimeout(timer);
  const windowMs = Math.min(performance.now(), deadline) - start;
  return {
    type: 'result',
    kind: 'download',
    bodyBytes,
    windowMs,
    mibPerSecond: bodyBytes / (1024 * 1024) / (windowMs / 1000),
    completed,
    cutAtDeadline: cut,
    failures,
    downloadMs: summarizeLatencies(times),
  };
}

/** What a device would refuse in the header block of a download, or `null` (docs/device-contract.md §5). */
export function judgeHead(head: string, expectedSize: number): string | null {
  const lines = head.split('\r\n');
  if (!/^HTTP\/1\.1 200(?: |$)/.test(lines[0] ?? '')) return `status ${lines[0]?.split(' ')[1] ?? '?'}`;
  const names = lines.slice(1).map((l) => l.slice(0, l.indexOf(':')));
  if (names.some((n) => n.toLowerCase() === 'transfer-encoding')) return 'chunked';
  if (names.some((n) => n.toLowerCase() === 'content-encoding')) return 'content-encoding';
  const exact = lines.filter((l) => l.startsWith('Content-Length: '));
  if (exact.length !== 1) return 'no-exact-content-length';
  if (exact[0] !== `Content-Length: ${expectedSize}`) return 'wrong-content-length';
  return null;
}
