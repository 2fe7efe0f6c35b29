/** The targets, judged from the measured figures (`met: null` when a side was not measured). */
import type { BootStorm, FirmwareServing, FixedRate, OtaThroughput, Target } from './results.js';

const atLeast = (value: number | null, limit: number): boolean | null =>
  value === null ? null : value >= limit;
const atMost = (value: number | null, limit: number): boolean | null =>
  value === null ? null : value <= limit;
const below = (value: number | null, limit: number): boolean | null =>
  value === null ? null : value < limit;

/** Every target with its measured value and verdict, phase by phase. */
export function judgeTargets({
  otaThroughput,
  fixedRate,
  firmwareServing,
  bootStorm,
}: {
  otaThroughput: OtaThroughput | null;
  fixedRate: FixedRate | null;
  firmwareServing: FirmwareServing | null;
  bootStorm: BootStorm | null;
}): Target[] {
  const targets: Target[] = [];
  if (otaThroughput) {
    // Issue 13's targets: the proxy's own work close to the cost of relaying.
    targets.push({
      name: '1. proxy CPU per check vs bare relay',
      value: otaThroughput.cpu.proxyToBare.median,
      limit: '<= 1.60',
      met: atMost(otaThroughput.cpu.proxyToBare.median, 1.6),
    });
    targets.push({
      name: '1. proxy KiB allocated per check',
      value: otaThroughput.median.proxy.allocKiBPerCheck,
      limit: '<= 40',
      met: atMost(otaThroughput.median.proxy.allocKiBPerCheck, 40),
    });
    targets.push({
      name: '1. proxy req/s vs nginx sub_filter',
      value: otaThroughput.proxyToNginx,
      limit: '>= 0.40',
      met: atLeast(otaThroughput.proxyToNginx, 0.4),
    });
    targets.push({
      name: '1. proxy req/s vs upstream directly',
      value: otaThroughput.proxyToUpstream,
      limit: '>= 0.35',
      met: atLeast(otaThroughput.proxyToUpstream, 0.35),
    });
  }
  if (fixedRate) {
    targets.push({
      name: `2. added p50 at ${fixedRate.rate}/s (ms)`,
      value: fixedRate.addedP50Ms,
      limit: '<= 1',
      met: atMost(fixedRate.addedP50Ms, 1),
    });
    targets.push({
      name: `2. added p99 at ${fixedRate.rate}/s (ms)`,
      value: fixedRate.addedP99Ms,
      limit: '<= 3',
      met: atMost(fixedRate.addedP99Ms, 3),
    });
    const bad = fixedRate.runs.proxy.reduce(
      (n, r) => n + r.nonContractReplies + Object.values(r.failures).reduce((a, b) => a + b, 0),
      0,
    );
    targets.push({
      name: '2. proxy failed or non-contract replies',
      value: bad,
      limit: '= 0',
      met: bad === 0,
    });
  }
  if (firmwareServing) {
    targets.push({
      name: '3. download throughput vs nginx',
      value: firmwareServing.proxyToNginx,
      limit: '>= 0.30',
      met: atLeast(firmwareServing.proxyToNginx, 0.3),
    });
    targets.push({
      name: '3. proxy peak RSS in downloads (MiB)',
      value: firmwareServing.proxyPeakRssMiB,
      limit: '< 150 MB (143 MiB)',
      met: below(firmwareServing.proxyPeakRssMiB, 150e6 / 2 ** 20),
    });
    const failed = firmwareServing.runs.proxy.reduce(
      (n, r) => n + Object.values(r.failures).reduce((a, b) => a + b, 0),
      0,
    );
    targets.push({ name: '3. proxy failed downloads', value: failed, limit: '= 0', met: failed === 0 });
  }
  if (bootStorm) {
    const failed = Object.values(bootStorm.failures).reduce((a, b) => a + b, 0);
    targets.push({ name: '4. boot storm failed checks', value: failed, limit: '= 0', met: failed === 0 });
    targets.push({
      name: '4. boot storm non-contract replies',
      value: bootStorm.nonContractReplies,
      limit: '= 0',
      met: bootStorm.nonContractReplies === 0,
    });
    targets.push({
      name: '4. boot storm offers off the rollout rule',
      value: bootStorm.offerMismatches,
      limit: '= 0',
      met: bootStorm.offerMismatches === 0,
    });
  }
  return targets;
}
