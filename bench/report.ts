/** The results table `npm run bench` prints (plain text, also pasted into BENCHMARKS.md). */
import { AREAS, type AreaProfile } from './profile-areas.js';
import type { BenchResults, OtaMedian, OtaTarget, OtaThroughput, RatioSpread, Target } from './results.js';

type Cell = string | number | null;

/** Formats a number with `digits` decimals; `—` for not measured. */
function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Columns padded to their widest cell; `align` holds `l` or `r` per column (default: first left, rest right). */
function table(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  align = `l${'r'.repeat(header.length - 1)}`,
  indent = '  ',
): string {
  const text = [header, ...rows].map((row) => row.map((c) => (c === null ? '—' : String(c))));
  const widths = header.map((_, i) => Math.max(...text.map((r) => r[i]?.length ?? 0)));
  return text
    .map((row) =>
      `${indent}${row.map((cell, i) => (align[i] === 'l' ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}`.trimEnd(),
    )
    .join('\n');
}

const verdict = (t: Target | undefined): string =>
  t === undefined || t.met === null ? 'not measured' : t.met ? 'MET' : 'MISSED';

/** The whole report as text: one section per phase, the cost table, the targets, the profile. */
export function renderReport(results: BenchResults): string {
  const { meta } = results;
  const find = (prefix: string): Target | undefined => results.targets.find((t) => t.name.startsWith(prefix));
  const out: string[] = [];
  out.push(
    `xiaozhi-ota-proxy benchmark — ${meta.date}${meta.quick ? '  (QUICK run: short, not for publishing)' : ''}${meta.profiled ? '  (PROFILED: the proxy ran under --cpu-prof, figures are slowed)' : ''}`,
  );
  out.push(
    `machine: ${meta.machine.cpus} cores (${meta.machine.cpuModel}), ${num(meta.machine.memoryGiB, 1)} GiB, Linux ${meta.machine.kernel}; Node ${meta.node}`,
  );
  out.push(`command: ${meta.command}`);
  out.push(`load: ${meta.loadGenerator}; nginx: ${meta.nginx ?? 'not installed'}`);
  out.push(`proxy: ${meta.proxy}`);
  for (const tool of meta.missingTools)
    out.push(`MISSING ${tool.name}: install it to measure its part — ${tool.install}`);
  if (meta.build.diagnostics.length > 0)
    out.push(
      `NOTE: tsc reported ${meta.build.diagnostics.length} diagnostic line(s) while building; the emitted JavaScript was measured (see results.json meta.build).`,
    );

  const s1 = results.otaThroughput;
  if (s1) out.push(...otaSection(s1, find));

  const s2 = results.fixedRate;
  if (s2) {
    out.push('');
    out.push(
      `2. Latency at a fixed rate — ${s2.rate} checks/s for ${s2.seconds} s, open loop, one connection per check (Connection: close), ${s2.rounds} round(s), medians`,
    );
    const achieved = (runs: readonly { achievedRate: number }[]): string =>
      num(Math.min(...runs.map((r) => r.achievedRate)), 0);
    out.push(
      table(
        ['target', 'p50 ms', 'p99 ms', 'achieved/s (min)'],
        [
          [
            'upstream directly',
            num(s2.median.upstream.p50),
            num(s2.median.upstream.p99),
            achieved(s2.runs.upstream),
          ],
          ['proxy', num(s2.median.proxy.p50), num(s2.median.proxy.p99), achieved(s2.runs.proxy)],
          ['added by the proxy', num(s2.addedP50Ms), num(s2.addedP99Ms), ''],
        ],
      ),
    );
    out.push(
      `  added p50 <= 1 ms: ${verdict(find('2. added p50'))}; added p99 <= 3 ms: ${verdict(find('2. added p99'))}; failed or non-contract proxy replies: ${find('2. proxy failed')?.value ?? '—'}`,
    );
    const rounds = s2.runs.proxy.map((p) => {
      const u = s2.runs.upstream.find((r) => r.round === p.round);
      const diff = (k: 'p50' | 'p99'): string =>
        num(p.latencyMs[k] === null || u?.latencyMs[k] == null ? null : p.latencyMs[k] - u.latencyMs[k]);
      return `round ${p.round}: +${diff('p50')} / +${diff('p99')}`;
    });
    out.push(`  added p50 / p99 per round (ms): ${rounds.join('; ')}`);
  }

  const s3 = results.firmwareServing;
  if (s3) {
    out.push('');
    out.push(
      `3. Firmware serving — ${num(s3.imageBytes / 2 ** 20, 0)} MiB image, ${s3.connections} concurrent downloads (Connection: close), ${s3.runs.proxy.length} round(s) x ${s3.seconds} s, medians`,
    );
    const completed = (runs: readonly { completed: number }[]): number =>
      runs.reduce((n, r) => n + r.completed, 0);
    const rows: Cell[][] = [
      [
        'proxy /firmware/',
        num(s3.median.proxy, 0),
        num(s3.median.proxy === null ? null : (s3.median.proxy * 2 ** 20 * 8) / 1e9),
        completed(s3.runs.proxy),
        num(s3.proxyToNginx),
      ],
    ];
    if (s3.median.nginx !== null)
      rows.push([
        'nginx (sendfile)',
        num(s3.median.nginx, 0),
        num((s3.median.nginx * 2 ** 20 * 8) / 1e9),
        completed(s3.runs.nginx),
        '1.00',
      ]);
    out.push(table(['server', 'MiB/s', 'Gbit/s', 'complete downloads', 'x nginx'], rows));
    out.push(
      `  throughput >= 0.30 x nginx: ${verdict(find('3. download throughput'))}; proxy peak RSS ${num(s3.proxyPeakRssMiB, 1)} MiB (${s3.peakSource}; target < 150 MB: ${verdict(find('3. proxy peak RSS'))}); images verified by sha256: proxy ${s3.integrity.proxy ? 'yes' : 'NO'}${s3.integrity.nginx === null ? '' : `, nginx ${s3.integrity.nginx ? 'yes' : 'NO'}`}`,
    );
  }

  const s4 = results.bootStorm;
  if (s4) {
    out.push('');
    out.push(
      `4. Boot storm — ${s4.devices.toLocaleString('en-US')} distinct devices at ${s4.rate}/s against an upstream serving ${s4.upstream.maxConcurrent} at once (${s4.upstream.serviceMs} ms each, the rest queue)`,
    );
    const failed = Object.values(s4.failures).reduce((a, b) => a + b, 0);
    out.push(
      table(
        ['devices', 'ok', 'failed', 'non-contract', 'p50 ms', 'p99 ms', 'max ms', 'rollout share'],
        [
          [
            s4.devices,
            s4.ok,
            failed,
            s4.nonContractReplies,
            num(s4.latencyMs.p50, 1),
            num(s4.latencyMs.p99, 1),
            num(s4.latencyMs.max, 1),
            `${num(s4.rolloutShareObserved)} % (entry ${s4.rolloutPercent} %)`,
          ],
        ],
        'rrrrrrrl',
      ),
    );
    out.push(
      `  upstream: at most ${s4.upstream.maxActive} served at once, up to ${s4.upstream.maxQueued} queued; proxy: up to ${s4.maxInFlight} devices in flight; offers off the rollout rule: ${s4.offerMismatches}; zero failures: ${verdict(find('4. boot storm failed'))}`,
    );
    if (failed > 0) out.push(`  failures: ${JSON.stringify(s4.failures)}`);
    if (s4.nonContractReplies > 0) out.push(`  violations: ${JSON.stringify(s4.violations)}`);
  }

  out.push('');
  out.push('5. Cost per check (proxy process, from /proc)');
  const { cost } = results;
  out.push(
    table(
      ['measure', 'value'],
      [
        [
          'CPU-seconds per 10,000 checks, saturated (phase 1, keep-alive)',
          num(cost.cpuSecondsPer10k.saturated),
        ],
        [
          'CPU-seconds per 10,000 checks, 1,000/s (phase 2, a connection each)',
          num(cost.cpuSecondsPer10k.fixedRate),
        ],
        ['CPU-seconds per 10,000 checks, boot storm (phase 4)', num(cost.cpuSecondsPer10k.bootStorm)],
        ['RSS idle, catalog loaded (MiB)', num(cost.rssMiB.idle, 1)],
        ['RSS peak under load, phase 2 (MiB)', num(cost.rssMiB.underLoad, 1)],
        [
          `RSS after the boot storm, ${(results.bootStorm?.devices ?? 0).toLocaleString('en-US')} devices remembered (MiB)`,
          num(cost.rssMiB.afterBootStorm, 1),
        ],
      ],
    ),
  );

  out.push('');
  out.push('Targets');
  out.push(
    table(
      ['target', 'measured', 'limit', 'verdict'],
      results.targets.map((t) => [t.name, num(t.value), t.limit, verdict(t)]),
      'lrll',
    ),
  );

  if (results.profile) {
    out.push('');
    out.push('CPU profile of the proxy (self time, top functions)');
    out.push(
      table(
        ['self ms', '%', 'function', 'where'],
        results.profile.map((p) => [num(p.selfMs, 1), num(p.share, 1), p.fn, p.where]),
        'rrll',
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

type Find = (prefix: string) => Target | undefined;

const spreadText = (s: RatioSpread, digits = 2): string =>
  `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;

/** Phase 1: throughput and latency, then the cost per check and where it goes. */
function otaSection(s1: OtaThroughput, find: Find): string[] {
  const out: string[] = [''];
  out.push(
    `1. OTA check overhead — ${s1.connections} keep-alive connections, a new Device-Id per request, ${s1.rounds} interleaved round(s) x ${s1.secondsPerRun} s, medians`,
  );
  const rowOf = (label: string, m: OtaMedian, r: number | null): Cell[] => [
    label,
    num(m.requestsPerSecond, 0),
    num(m.p50Ms),
    num(m.p99Ms),
    num(r),
    num(m.cpuUsPerCheck, 0),
    `${num(m.allocKiBPerCheck, 1)} (${num(m.allocKiBPerCheckMin, 1)})`,
    num(m.gcUsPerCheck, 1),
  ];
  const row = (label: string, t: OtaTarget, r: number | null): Cell[] => rowOf(label, s1.median[t], r);
  const has = (t: OtaTarget): boolean => s1.runs[t].length > 0;
  const rows: Cell[][] = [
    row('(a) upstream directly', 'upstream', 1),
    row('(b) proxy, full rule set + catalog', 'proxy', s1.proxyToUpstream),
    row("(b') control: the same build, a 2nd process", 'control', null),
  ];
  if (has('nginx')) rows.push(row('(c) nginx proxy_pass + sub_filter', 'nginx', s1.nginxToUpstream));
  rows.push(row('(d) bare Node relay, no rules (reference)', 'bare', s1.bareToUpstream));
  s1.baselines.forEach((b, i) => rows.push(rowOf(`(e${i + 1}) baseline ${b.cli}`, b.median, null)));
  out.push(
    table(
      [
        'target',
        'req/s',
        'p50 ms',
        'p99 ms',
        'x (a)',
        'CPU µs/check',
        'KiB alloc/check (least)',
        'GC µs/check',
      ],
      rows,
    ),
  );
  out.push(
    `  CPU per check (b)/(d) = ${spreadText(s1.cpu.proxyToBare)} (median of per-round ratios, min–max; target <= 1.60: ${verdict(find('1. proxy CPU per check'))})`,
  );
  out.push(
    `  control pair: (b')/(d) = ${spreadText(s1.cpu.controlToBare)}; (b)/(b') = ${spreadText(s1.cpu.proxyToControl)} CPU, ${spreadText(s1.throughputControl)} req/s — the same build twice: a difference inside this spread is noise`,
  );
  s1.baselines.forEach((b, i) =>
    out.push(
      `  baseline ${i + 1}: (e${i + 1})/(d) = ${spreadText(b.cpuToBare)}; (b)/(e${i + 1}) = ${spreadText(b.proxyCpuToThis)}${b.cpuToPrevious === null ? '' : `; (e${i + 1})/(e${i}) = ${spreadText(b.cpuToPrevious)}`} CPU per check`,
    ),
  );
  out.push(
    `  KiB allocated per check: V8 heap growth between collections (bench/probe.mjs, v8.GCProfiler), Buffers' off-heap bytes not counted; median of the rounds (the least in brackets); target <= 40: ${verdict(find('1. proxy KiB allocated'))}`,
  );
  out.push(
    `  throughput: (b)/(c) = ${num(s1.proxyToNginx)} (target >= 0.40: ${verdict(find('1. proxy req/s vs nginx'))}; the control (b')/(c) = ${num(s1.controlToNginx)}); (b)/(a) = ${num(s1.proxyToUpstream)} (>= 0.35: ${verdict(find('1. proxy req/s vs upstream'))})`,
  );
  if (s1.nginxFraming) {
    out.push(
      `  (c) is not device-safe: its replies had ${s1.nginxFraming.contentLength ? 'a Content-Length' : 'no Content-Length'}${s1.nginxFraming.chunked ? ' and Transfer-Encoding: chunked' : ''} (sub_filter changes the length), and kept mqtt; contract violations: ${s1.nginxFraming.violations.join(', ') || 'none'}`,
    );
  }
  if (s1.profiles.length > 0) {
    const header = [
      'area',
      ...s1.profiles.map((p) => (p.target === 'proxy' ? '(b) proxy' : '(d) bare relay')),
    ];
    const byArea = (pick: (p: (typeof s1.profiles)[number]) => AreaProfile): Cell[][] =>
      AREAS.map((area) => [
        area,
        ...s1.profiles.map(
          (p) => `${num(pick(p).usPerCheck[area], 1)} (${num(pick(p).shares[area] * 100, 0)} %)`,
        ),
      ]);
    out.push('');
    out.push(
      "  Where a check's CPU goes — one profiled run each (sampling every 200 µs): each area's share of the samples applied to that run's CPU per check from /proc (the profiler slows the process, so the total is above the unprofiled median), µs per check:",
    );
    const cpu = byArea((p) => p.areas);
    cpu.push(['total: CPU µs per check in that run', ...s1.profiles.map((p) => num(p.cpuUsPerCheck, 1))]);
    out.push(table(header, cpu, 'lrr', '    '));
    out.push('');
    out.push(
      "  Where a check's allocations go — the same runs' sampling heap profiles (collected objects included), each area's share applied to the KiB allocated per check in that run:",
    );
    const kib = byArea((p) => p.allocations);
    kib.push([
      'total: KiB allocated per check in that run',
      ...s1.profiles.map((p) => num(p.allocKiBPerCheck, 1)),
    ]);
    out.push(table(header, kib, 'lrr', '    '));
  }
  return out;
}
