/**
 * `npm run bench`: what the proxy costs, measured side by side with the upstream directly and with
 * nginx, in one run, as ratios (the machine is shared and noisy). Prints the table and writes
 * bench/results.json. See BENCHMARKS.md for how to read it.
 *
 *   npm run bench [-- --quick] [--load wrk|autocannon] [--only 1,2,3,4] [--profile] [--strict] [--keep]
 *                 [--proxy-cli <file>] [--baseline-cli <file>]…
 *
 * Separate processes for the fake upstream, the built proxy (twice: the second is the control pair), nginx,
 * the bare relay and the load generator, all on 127.0.0.1; every one is stopped at the end, on an error and
 * on Ctrl-C.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildProxy, type BuildResult } from './build.js';
import { DOWNLOAD_ENTRY } from './catalog-plan.js';
import { stopAll } from './child-processes.js';
import { DEVICE_BLOCK, type Baseline, type BenchContext } from './context.js';
import { proxyConfigYaml, writeFirmware, UPSTREAM_WEBSOCKET_PREFIX } from './fixtures.js';
import { measureBootStorm } from './phase-boot-storm.js';
import { measureDownloads } from './phase-downloads.js';
import { measureFleetCost, renderFleetCost, type FleetCost, type FleetPlan } from './phase-fleet.js';
import { measureFixedRate } from './phase-fixed-rate.js';
import { measureOtaThroughput } from './phase-ota-throughput.js';
import {
  freePort,
  startBareRelay,
  startBuiltProxy,
  startLoad,
  startNginx,
  startUpstream,
  type Running,
} from './processes.js';
import { memory, procAvailable } from './proc-stats.js';
import { summarizeProfile } from './profile-summary.js';
import { renderReport } from './report.js';
import type {
  BenchResults,
  BootStorm,
  FirmwareServing,
  FixedRate,
  OtaThroughput,
  ProfileLine,
} from './results.js';
import { checkTargets } from './sanity.js';
import { judgeTargets } from './targets.js';
import { findTool } from './tools.js';

const USAGE = `npm run bench [-- options]
  --quick              short runs (a smoke test of the benchmark itself; figures not for publishing)
  --load wrk|autocannon  phase 1's load generator (default: wrk when installed, else autocannon)
  --only 1,2,3,4,5     run only these phases (5: the fleet's cost)
  --profile            also list the hottest functions of phase 1's profiled run (by area it is always shown),
                       and profile phase 5's boot storm (both proxies run under --cpu-prof: slower)
  --storm-only         phase 5 runs only its boot storm (with --only 5: the storm alone, to iterate on it)
  --skip-nginx         leave nginx out even when installed (as on a machine without it)
  --strict             exit 1 when a target is missed
  --keep               keep the temporary folder (configs, logs, nginx prefix)
  --proxy-cli <file>   measure this built cli.js instead of building src/
  --baseline-cli <file>  also measure this built cli.js in phase 1, interleaved (before/after a change);
                       repeat it to measure a series of builds (one per commit) in the same run
  --log-level info     the proxies log at info (a line per check) instead of warn
  --rounds <n>         phase 1's rounds (default 8; each ratio is a median over them)
  --seconds <n>        phase 1's measured seconds per run (default 4)
  --out <file>         where to write the JSON results (default bench/results.json)
`;

interface Plan {
  readonly s1: { rounds: number; warmupSec: number; seconds: number; connections: number };
  readonly s2: { rate: number; seconds: number; warmupSec: number; rounds: number };
  readonly s3: { rounds: number; seconds: number; connections: number };
  readonly s4: { devices: number; rate: number; maxConcurrent: number; serviceMs: number };
  readonly s5: FleetPlan;
}

/** The issue's figures; `--quick` keeps the shape and shortens every run. */
const FULL: Plan = {
  // At least 8 rounds: the CPU ratios are medians of per-round ratios (issue 13).
  s1: { rounds: 8, warmupSec: 1, seconds: 4, connections: 50 },
  s2: { rate: 1000, seconds: 20, warmupSec: 2, rounds: 2 },
  s3: { rounds: 2, seconds: 10, connections: 200 },
  // 250 ms each at most 200 at once is 800 checks/s: the queue grows through the storm, like a
  // real server's after a power cut.
  s4: { devices: 10_000, rate: 1000, maxConcurrent: 200, serviceMs: 250 },
  // 100,000 distinct devices in 60 s (issue 14).
  s5: { rounds: 3, checks: 3000, rate: 500, stormDevices: 100_000, stormRate: 1667, apiDevices: 100_000 },
};
const QUICK: Plan = {
  s1: { rounds: 2, warmupSec: 1, seconds: 2, connections: 50 },
  s2: { rate: 1000, seconds: 4, warmupSec: 1, rounds: 1 },
  s3: { rounds: 1, seconds: 3, connections: 200 },
  s4: { devices: 2000, rate: 1000, maxConcurrent: 200, serviceMs: 250 },
  s5: { rounds: 1, checks: 500, rate: 500, stormDevices: 5000, stormRate: 1000, apiDevices: 5000 },
};

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      load: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'storm-only': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      'skip-nginx': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      out: { type: 'string' },
      'proxy-cli': { type: 'string' },
      'baseline-cli': { type: 'string', multiple: true },
      rounds: { type: 'string' },
      'log-level': { type: 'string' },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.load !== undefined && values.load !== 'wrk' && values.load !== 'autocannon')
    throw new Error(`--load must be wrk or autocannon (got ${values.load})`);
  const phases = new Set((values.only ?? '1,2,3,4,5').split(',').map((p) => p.trim()));
  const logLevel = values['log-level'] ?? 'warn';
  if (logLevel !== 'warn' && logLevel !== 'info')
    throw new Error(`--log-level must be warn or info (got ${logLevel})`);
  const base = values.quick ? QUICK : FULL;
  const positive = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1 (got ${text})`);
    return n;
  };
  const plan: Plan = {
    ...base,
    s1: {
      ...base.s1,
      rounds: positive('rounds', values.rounds, base.s1.rounds),
      seconds: positive('seconds', values.seconds, base.s1.seconds),
    },
  };
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outFile = values.out ?? join(root, 'bench', 'results.json');
  const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  if (os.platform() !== 'linux' || !procAvailable(process.pid))
    throw new Error('the benchmark reads /proc for CPU and memory: run it on Linux');

  const found = findTool('nginx');
  const nginxTool = values['skip-nginx'] ? { ...found, path: null, version: null } : found;
  const wrkTool = findTool('wrk');
  if (values.load === 'wrk' && wrkTool.path === null)
    throw new Error(`--load wrk: wrk is not installed (${wrkTool.install})`);
  const useWrk = values.load !== 'autocannon' && wrkTool.path !== null;
  const missingTools = [found, wrkTool]
    .filter((t) => t.path === null)
    .map((t) => ({ name: t.name, install: t.install }));
  if (values['skip-nginx']) progress('nginx left out (--skip-nginx)');
  for (const tool of missingTools)
    progress(`${tool.name} is not installed: measuring without it. To include it: ${tool.install}`);

  const work = mkdtempSync(join(os.tmpdir(), 'xiaozhi-bench-'));
  interrupted.work = values.keep ? null : work;
  // nginx's workers run as another user when the benchmark runs as root: they must read this folder.
  chmodSync(work, 0o755);
  let failed = true;
  try {
    let build: BuildResult;
    if (values['proxy-cli'] !== undefined) {
      const cli = resolve(values['proxy-cli']);
      if (!existsSync(cli)) throw new Error(`--proxy-cli: ${cli} does not exist`);
      progress(`measuring the given build ${relative(process.cwd(), cli)}`);
      build = { cli, diagnostics: [], ms: 0 };
    } else {
      progress(`building the proxy (tsc) into .tmp/bench-build`);
      const buildDir = join(root, '.tmp', 'bench-build');
      rmSync(buildDir, { recursive: true, force: true });
      build = buildProxy(root, buildDir);
      if (build.diagnostics.length > 0)
        progress(`tsc reported:\n${build.diagnostics.join('\n')}\n(the emitted JavaScript is measured)`);
    }

    progress('writing the 200-entry catalog and its images');
    const firmware = writeFirmware(join(work, 'firmware'));
    const downloadSha = firmware.sha256.get(DOWNLOAD_ENTRY.file) ?? '';

    const upstream = await startUpstream(root, work, 'upstream', { maxConcurrent: null, serviceMs: 0 });
    /** A proxy process of `cli` with the benchmark's configuration on a port of its own. */
    const startProxy = async (name: string, cli: string): Promise<Running> => {
      const port = await freePort();
      const configPath = join(work, `${name}.yaml`);
      writeFileSync(
        configPath,
        proxyConfigYaml({ port, upstreamPort: upstream.port, firmwareDir: firmware.dir, logLevel }),
      );
      return startBuiltProxy(root, work, name, { cli, configPath, port, probe: true });
    };
    const proxy = await startProxy('proxy', build.cli);
    const control = await startProxy('control', build.cli);
    const baselines: Baseline[] = [];
    for (const [i, given] of (values['baseline-cli'] ?? []).entries()) {
      const cli = resolve(given);
      if (!existsSync(cli)) throw new Error(`--baseline-cli: ${cli} does not exist`);
      progress(`also measuring baseline build ${i + 1}, ${relative(process.cwd(), cli)}, in phase 1`);
      baselines.push({ cli: given, running: await startProxy(`baseline-${i + 1}`, cli) });
    }
    const nginx =
      nginxTool.path === null
        ? null
        : await startNginx(nginxTool.path, join(work, 'nginx'), {
            port: await freePort(),
            upstreamPort: upstream.port,
            firmwareDir: firmware.dir,
            otaPath: '/xiaozhi/ota/',
            websocketFrom: UPSTREAM_WEBSOCKET_PREFIX,
            websocketTo: 'ws://$host:8000/',
          });
    const bareRelay = await startBareRelay(root, work, upstream.port);
    const load = await startLoad(root, work);
    let block = 0;
    const ctx: BenchContext = {
      root,
      work,
      build,
      firmwareDir: firmware.dir,
      load,
      wrk: useWrk ? wrkTool.path : null,
      upstream,
      proxy,
      control,
      baselines,
      nginx,
      bareRelay,
      nextDevices: () => (block += 1) * DEVICE_BLOCK,
      progress,
    };

    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = memory(proxy.child.pid).rssMiB;
    const { nginxFraming } = await checkTargets(ctx);

    let otaThroughput: OtaThroughput | null = null;
    let fixedRate: FixedRate | null = null;
    let firmwareServing: FirmwareServing | null = null;
    let bootStorm: BootStorm | null = null;
    if (phases.has('1')) otaThroughput = await measureOtaThroughput(ctx, plan.s1, nginxFraming);
    if (phases.has('2')) fixedRate = await measureFixedRate(ctx, plan.s2);
    if (phases.has('3')) firmwareServing = await measureDownloads(ctx, plan.s3, downloadSha);
    let profile: ProfileLine[] | null = null;
    for (const run of otaThroughput?.profiles ?? []) {
      const kept = join(root, '.tmp', `bench-profile-${run.target}.cpuprofile`);
      mkdirSync(join(root, '.tmp'), { recursive: true });
      copyFileSync(run.file, kept);
      copyFileSync(run.heapFile, join(root, '.tmp', `bench-profile-${run.target}.heapprofile`));
      if (values.profile && run.target === 'proxy') profile = summarizeProfile(kept);
      progress(
        `CPU profile of the ${run.target}'s profiled run: ${relative(process.cwd(), kept)} (open it in Chrome DevTools or speedscope)`,
      );
    }
    if (phases.has('4')) bootStorm = await measureBootStorm(ctx, plan.s4);
    const fleetCost: FleetCost | null = phases.has('5')
      ? await measureFleetCost(ctx, {
          ...plan.s5,
          stormOnly: values['storm-only'],
          stormProfileDir: values.profile ? join(root, '.tmp', 'bench-profile-storm') : null,
        })
      : null;

    const args = process.argv.slice(2);
    const results: BenchResults = {
      meta: {
        date: new Date().toISOString(),
        command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
        quick: values.quick,
        profiled: values.profile,
        machine: {
          cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
          memoryGiB: os.totalmem() / 2 ** 30,
          kernel: os.release(),
        },
        node: process.version,
        loadGenerator: `${useWrk ? `wrk ${wrkTool.version ?? ''} (1 thread)` : 'autocannon 8 (own process)'} for phase 1; bench/load-rate.ts (open loop, a connection per check) for 2 and 4; bench/load-download.ts for 3`,
        nginx:
          nginxTool.path === null
            ? null
            : `nginx ${nginxTool.version ?? ''} (1 worker, upstream keepalive 64, sendfile on)`,
        missingTools,
        build: { ms: build.ms, diagnostics: build.diagnostics },
        proxy: `${values['proxy-cli'] === undefined ? 'src/ built with tsc' : `given build ${values['proxy-cli']}`}, node cli.js; log.level ${logLevel}; rewrite + websocket when-list + mqtt strip + server_time zone + 200-entry catalog + guard`,
        baselines: values['baseline-cli'] ?? [],
      },
      otaThroughput,
      fixedRate,
      firmwareServing,
      bootStorm,
      cost: {
        cpuSecondsPer10k: {
          saturated: otaThroughput?.proxyCpuSecondsPer10k ?? null,
          fixedRate: fixedRate?.proxyCpuSecondsPer10k ?? null,
          bootStorm: bootStorm?.proxyCpuSecondsPer10k ?? null,
        },
        rssMiB: {
          idle: idleRss,
          underLoad: fixedRate?.proxyPeakRssMiB ?? null,
          afterBootStorm: bootStorm?.proxyRssMiB.after ?? null,
        },
      },
      targets: judgeTargets({ otaThroughput, fixedRate, firmwareServing, bootStorm }),
      profile,
      fleetCost,
    };
    writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${renderReport(results)}`);
    if (fleetCost !== null) process.stdout.write(renderFleetCost(fleetCost));
    progress(`results written to ${relative(process.cwd(), outFile)}`);
    failed = false;
    const missed = results.targets.filter((t) => t.met === false);
    return values.strict && missed.length > 0 ? 1 : 0;
  } finally {
    await stopAll();
    if (values.keep || failed) progress(`temporary folder kept: ${work} (configs and logs)`);
    else rmSync(work, { recursive: true, force: true });
  }
}

// A closed pipe (`npm run bench | head`) must not end the run before its processes are stopped.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/** What Ctrl-C must clean up besides the processes: the temporary folder (unless --keep). */
const interrupted: { work: string | null; stopping: boolean } = { work: null, stopping: false };
const interrupt = (signal: NodeJS.Signals): void => {
  if (interrupted.stopping) return;
  interrupted.stopping = true;
  process.stderr.write(`\n[bench] ${signal}: stopping every process the benchmark started\n`);
  void stopAll(3000).finally(() => {
    if (interrupted.work !== null) rmSync(interrupted.work, { recursive: true, force: true });
    process.exit(130);
  });
};
process.once('SIGINT', interrupt);
process.once('SIGTERM', interrupt);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stopAll(3000);
    process.exitCode = 1;
  },
);
