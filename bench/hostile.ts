/**
 * `npm run bench:hostile`: what one hostile client or one stuck upstream service costs the other devices.
 * Each case runs against a fresh built proxy (its own process, beside a fake upstream and an attacker
 * process), while a bystander device checks in every 20 ms on its own connection:
 *
 * - control: no attack — the same bystander figures, so a reader sees the machine's own noise;
 * - pipelining flood: 5 connections each writing 3,000 pipelined `POST /xiaozhi/ota/` at once, again and
 *   again as the proxy closes them;
 * - passthrough starvation: 300 requests to `/mcp/vision/explain` that the upstream never answers;
 * - shutdown: 200 downloads of a catalog image requested 300 ms before SIGTERM (no bystander: the
 *   listener closes).
 *
 * For each: the proxy's peak RSS over its baseline, the bystander's check latency (p50/p99/max) and the
 * replies lost (bystander checks without a 200; held requests or downloads the proxy dropped without a
 * reply; flooded connections reset without their closing 503).
 *
 *   npm run bench:hostile [-- --seconds 10] [--only control,flood,passthrough,shutdown] [--proxy-cli <file>]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildAppImage } from '../test/helpers/app-image.js';
import { readCapture } from '../test/helpers/captures.js';
import { buildProxy } from './build.js';
import { nextMessage, request, startChild, stopAll, type Child } from './child-processes.js';
import type { AttackJob, AttackResult } from './hostile-attack.js';
import { freePort, rawExchange, startBuiltProxy } from './processes.js';
import { memory, resetPeak } from './proc-stats.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

const CASES = ['control', 'flood', 'passthrough', 'shutdown'] as const;
type CaseName = (typeof CASES)[number];

const IMAGE = 'bread-1.7.2.bin';
const IMAGE_BYTES = 2 * 1024 * 1024;

interface CaseResult {
  readonly name: string;
  readonly rssOverBaselineMiB: number;
  readonly bystander: LatencySummary | null;
  readonly lost: number;
  readonly of: string;
  readonly note: string;
}

interface Setup {
  readonly root: string;
  readonly dir: string;
  readonly cli: string;
  readonly upstreamPort: number;
  readonly attacker: Child;
}

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      only: { type: 'string' },
      'proxy-cli': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const only = (values.only?.split(',') ?? [...CASES]) as CaseName[];
  const dir = mkdtempSync(join(os.tmpdir(), 'ota-proxy-hostile-'));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  try {
    // Inside the repository, where the build finds node_modules (as bench/run.ts builds).
    const buildDir = join(root, '.tmp', 'bench-hostile-build');
    if (values['proxy-cli'] === undefined) rmSync(buildDir, { recursive: true, force: true });
    const cli = values['proxy-cli'] ?? buildProxy(root, buildDir).cli;
    mkdirSync(join(dir, 'firmware'));
    writeFileSync(
      join(dir, 'firmware', IMAGE),
      buildAppImage({ version: '1.7.2', chipId: 9, size: IMAGE_BYTES }),
    );
    writeFileSync(
      join(dir, 'firmware', 'catalog.yaml'),
      `- board: bread-compact-wifi\n  version: "1.7.2"\n  file: ${IMAGE}\n`,
    );
    const upstream = startChild({
      name: 'hostile-upstream',
      command: process.execPath,
      args: ['--import', 'tsx', join(root, 'bench', 'hostile-upstream.ts')],
      cwd: root,
      logFile: join(logDir, 'upstream.log'),
      ipc: true,
    });
    const { port: upstreamPort } = await nextMessage<{ port: number }>(upstream, 'ready', 30_000);
    const attacker = startChild({
      name: 'hostile-attack',
      command: process.execPath,
      args: ['--import', 'tsx', join(root, 'bench', 'hostile-attack.ts')],
      cwd: root,
      logFile: join(logDir, 'attack.log'),
      ipc: true,
    });
    await nextMessage(attacker, 'ready', 30_000);
    const setup: Setup = { root, dir, cli, upstreamPort, attacker };

    const results: CaseResult[] = [];
    for (const name of only) {
      process.stderr.write(`${name} …\n`);
      results.push(await runCase(name, setup, seconds * 1000, logDir));
    }
    process.stdout.write(report(results, seconds));
  } finally {
    await stopAll();
    if (values.keep) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function runCase(
  name: CaseName,
  setup: Setup,
  durationMs: number,
  logDir: string,
): Promise<CaseResult> {
  const port = await freePort();
  const configPath = join(setup.dir, `${name}.yaml`);
  writeFileSync(
    configPath,
    [
      `listen: 127.0.0.1:${port}`,
      'upstream:',
      `  url: http://127.0.0.1:${setup.upstreamPort}`,
      '  timeout_ms: 8000',
      'websocket:',
      '  url: ws://{host}:8000/xiaozhi/v1/',
      'firmware:',
      `  dir: ${JSON.stringify(join(setup.dir, 'firmware'))}`,
      'shutdown_grace_ms: 10000',
      'log:',
      '  level: warn',
      '  pretty: false',
      '',
    ].join('\n'),
  );
  const proxy = await startBuiltProxy(setup.root, logDir, `proxy-${name}`, {
    cli: setup.cli,
    configPath,
    port,
  });
  try {
    // Warm up (JIT, upstream keep-alive), then take the baseline.
    for (let i = 0; i < 50; i++) await bystanderCheck(port);
    const baseline = memory(proxy.child.pid).rssMiB;
    const rss = peakSampler(proxy.child.pid);
    const peakOver = (): number => rss.stop() - baseline;
    switch (name) {
      case 'control': {
        const bystander = await bystanderFor(port, durationMs);
        return { name, rssOverBaselineMiB: peakOver(), ...bystander, note: '' };
      }
      case 'flood': {
        const request = keepAliveCheck(port);
        const [result, bystander] = await attackWhile(setup.attacker, port, durationMs, {
          kind: 'pipelining',
          port,
          request: request.toString('base64'),
          pipelined: 3000,
          connections: 5,
          durationMs,
          keepBytes: 256,
        });
        const rounds = result.kind === 'pipelining' ? result.rounds : [];
        const closed = rounds.filter((r) => r.closedByProxy);
        const resetWithoutReply = closed.filter((r) => r.bytes === 0).length;
        const perConnection =
          closed.length > 0 ? Math.round(closed.reduce((n, r) => n + r.bytes, 0) / closed.length) : 0;
        return {
          name: 'pipelining flood',
          rssOverBaselineMiB: peakOver(),
          bystander: bystander.bystander,
          lost: bystander.lost + resetWithoutReply,
          of: `${bystander.of} + ${closed.length} flooded connections`,
          note:
            `${closed.length} flooded connections closed by the proxy, ${perConnection} reply bytes each on average` +
            (resetWithoutReply > 0
              ? `; ${resetWithoutReply} reset before the attacker read any reply (the proxy closes with unread pipelined bytes)`
              : ''),
        };
      }
      case 'passthrough': {
        const held = Buffer.from(
          `POST /mcp/vision/explain HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        );
        const [result, bystander] = await attackWhile(setup.attacker, port, durationMs, {
          kind: 'hold',
          port,
          request: held.toString('base64'),
          count: 300,
          durationMs,
        });
        const statuses = result.kind === 'hold' ? result.statuses : [];
        const byStatus = new Map<number, number>();
        for (const s of statuses) byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
        const described = [...byStatus]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${n} × ${s === 0 ? 'still held' : s}`)
          .join(', ');
        return {
          name: 'passthrough starvation',
          rssOverBaselineMiB: peakOver(),
          bystander: bystander.bystander,
          lost: bystander.lost + (result.kind === 'hold' ? result.lost : 0),
          of: `${bystander.of} + 300 held`,
          note: `300 held requests to /mcp/vision/explain: ${described}`,
        };
      }
      case 'shutdown': {
        let started = (): void => undefined;
        const requested = new Promise<void>((resolveStarted) => (started = resolveStarted));
        const job: AttackJob = {
          kind: 'downloads',
          port,
          path: `/firmware/${IMAGE}`,
          count: 200,
          expectBytes: IMAGE_BYTES,
          timeoutMs: 60_000,
        };
        const downloads = runJob(setup.attacker, job, started);
        await requested;
        await sleep(300);
        const signalled = performance.now();
        proxy.child.process.kill('SIGTERM');
        await proxy.child.exited;
        const exitMs = Math.round(performance.now() - signalled);
        const result = await downloads;
        const lost = result.kind === 'downloads' ? result.lost : 200;
        return {
          name,
          rssOverBaselineMiB: peakOver(),
          bystander: null,
          lost,
          of: '200 downloads',
          note: `200 downloads of a ${IMAGE_BYTES / 1024 / 1024} MiB image requested 300 ms before SIGTERM: the proxy exited ${exitMs} ms after the signal`,
        };
      }
      default: {
        const never: never = name;
        throw new Error(`unknown case ${String(never)}`);
      }
    }
  } finally {
    await proxy.child.stop();
  }
}

/**
 * The highest RSS of the process from now on: VmRSS every 25 ms, and the kernel's own peak (VmHWM, reset
 * here) while the process lives; what a process that has exited no longer shows is left out.
 */
function peakSampler(pid: number): { stop(): number } {
  resetPeak(pid);
  let peak = 0;
  const take = (): void => {
    try {
      const { rssMiB, hwmMiB } = memory(pid);
      for (const value of [rssMiB, hwmMiB]) if (Number.isFinite(value)) peak = Math.max(peak, value);
    } catch {
      // The process has ended: keep what was seen.
    }
  };
  take();
  const timer = setInterval(take, 25);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** Runs an attack job while the bystander checks in; both end after `durationMs`. */
async function attackWhile(
  attacker: Child,
  port: number,
  durationMs: number,
  job: AttackJob,
): Promise<[AttackResult, { bystander: LatencySummary; lost: number; of: string }]> {
  let started = (): void => undefined;
  const begun = new Promise<void>((resolveStarted) => (started = resolveStarted));
  const attack = runJob(attacker, job, started);
  await begun;
  const bystander = await bystanderFor(port, durationMs - 200);
  return [await attack, bystander];
}

/** Sends one job to the attacker; `onStarted` when its requests are on their way. */
function runJob(attacker: Child, job: AttackJob, onStarted: () => void): Promise<AttackResult> {
  const listener = (message: { type?: string }): void => {
    if (message.type === 'started') onStarted();
  };
  attacker.process.on('message', listener);
  return request<AttackResult>(attacker, { type: 'job', job }, 'result', 120_000).finally(() =>
    attacker.process.off('message', listener),
  );
}

/** A bystander device checking in every 20 ms for `ms`: latencies of its 200 replies, and the rest. */
async function bystanderFor(
  port: number,
  ms: number,
): Promise<{ bystander: LatencySummary; lost: number; of: string }> {
  const latencies: number[] = [];
  let lost = 0;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const began = performance.now();
    if (await bystanderCheck(port)) latencies.push(performance.now() - began);
    else lost += 1;
    await sleep(20);
  }
  return { bystander: summarizeLatencies(latencies), lost, of: `${latencies.length + lost} checks` };
}

const deviceBytes = readCapture('python-default-post', 'request').raw;

async function bystanderCheck(port: number): Promise<boolean> {
  try {
    return (await rawExchange(port, deviceBytes, { timeoutMs: 30_000 })).status === 200;
  } catch {
    return false;
  }
}

/** The device's check without its `Connection: close`: a keep-alive connection can carry the next one. */
function keepAliveCheck(port: number): Buffer {
  const text = deviceBytes.toString('latin1');
  const head = text
    .slice(0, text.indexOf('\r\n\r\n'))
    .split('\r\n')
    .filter((line) => !/^connection:/i.test(line))
    .map((line) => (/^host:/i.test(line) ? `Host: 127.0.0.1:${port}` : line));
  return Buffer.from(`${head.join('\r\n')}${text.slice(text.indexOf('\r\n\r\n'))}`, 'latin1');
}

function report(results: readonly CaseResult[], seconds: number): string {
  const ms = (v: number | null): string => (v === null ? '—' : v.toFixed(1));
  const rows = results.map((r) => [
    r.name,
    `${r.rssOverBaselineMiB >= 0 ? '+' : ''}${r.rssOverBaselineMiB.toFixed(1)} MiB`,
    r.bystander === null
      ? '—'
      : `${ms(r.bystander.p50)} / ${ms(r.bystander.p99)} / ${ms(r.bystander.max)} ms (${r.bystander.count})`,
    `${r.lost} of ${r.of}`,
  ]);
  const header = ['case', 'peak RSS over baseline', 'bystander p50 / p99 / max', 'replies lost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const notes = results.filter((r) => r.note !== '').map((r) => `- ${r.name}: ${r.note}`);
  return [
    `hostile load — node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]?.toFixed(1)}, ${seconds} s per case`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...notes,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
