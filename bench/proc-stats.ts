/**
 * Measured, not guessed: CPU time and memory of another process from /proc (Linux). CPU comes from
 * `utime + stime` in /proc/<pid>/stat, memory from VmRSS/VmHWM in /proc/<pid>/status; the peak can be
 * reset through /proc/<pid>/clear_refs so that it covers one phase only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

/** `getconf CLK_TCK` (100 on every common Linux), read once. */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Whether /proc can be read for `pid` (false on macOS, or once the process is gone). */
export function procAvailable(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`, 'latin1');
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 after the state field.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/** The process's children (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN; empty when not available). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds of the process and its children (nginx's master and its worker). A child that ends
 * between two readings drops out of the sum: read it over runs in which no child starts or ends.
 */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const child of childPids(pid)) {
    try {
      total += cpuSeconds(child);
    } catch {
      // It ended meanwhile.
    }
  }
  return total;
}

export interface MemorySample {
  /** Resident set size now, in MiB. */
  readonly rssMiB: number;
  /** Peak resident set size since start or the last reset, in MiB. */
  readonly hwmMiB: number;
}

/** VmRSS and VmHWM of the process now. */
export function memory(pid: number): MemorySample {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kib = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** Resets VmHWM to the current RSS (clear_refs value 5, Linux ≥ 4.0); `false` when not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssSampler {
  /** Stops sampling; the highest RSS seen and the kernel's peak, in MiB. */
  stop(): { maxSampledMiB: number; hwmMiB: number };
}

/** Samples VmRSS every `intervalMs` (the kernel's VmHWM is read at the end as well). */
export function sampleRss(pid: number, intervalMs = 50): RssSampler {
  let max = 0;
  const take = (): void => {
    try {
      max = Math.max(max, memory(pid).rssMiB);
    } catch {
      // The process ended: keep what was seen.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      let hwm = Number.NaN;
      try {
        hwm = memory(pid).hwmMiB;
      } catch {
        // gone
      }
      return { maxSampledMiB: max, hwmMiB: hwm };
    },
  };
}
