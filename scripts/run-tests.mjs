#!/usr/bin/env node
// Node 20's test runner does not expand globs: find the test files here and hand them over.
// Usage: node scripts/run-tests.mjs [substring …]  (only files whose path contains one of them)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = collect(join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((s) => f.includes(s)),
);
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Tests that measure latency under their own load (they take a timing turn: test/helpers/timing-turn.ts)
// run after the rest, one file at a time: on a 2-core machine a second test file beside them is load they
// would measure as the proxy's. Their bounds are unchanged; only their neighbours are.
const measuresLatency = (f) => readFileSync(join(root, f), 'utf8').includes('takeTimingTurn(');
const batches = [
  { files: files.filter((f) => !measuresLatency(f)), concurrency: 2 },
  { files: files.filter(measuresLatency), concurrency: 1 },
].filter((b) => b.files.length > 0);
/**
 * Before the timing batch: the files before it leave the machine busy for a few seconds (the kernel writing
 * back what they wrote: the suite's PostgreSQL databases, SQLite files and logs, 130 MB/s at its peak),
 * and a test that measures its own event loop would measure that. Write it back now (`sync`), then wait,
 * up to 15 s, for a half-second in which the machine is at least half idle (Linux's /proc/stat).
 */
function quietDown() {
  spawnSync('sync', { stdio: 'ignore' });
  const busy = () => {
    try {
      const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
      return { total: cpu.reduce((a, b) => a + b, 0), idle };
    } catch {
      return null;
    }
  };
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const before = busy();
    if (before === null) return;
    spawnSync('sleep', ['0.5']);
    const after = busy();
    if (after === null || after.total === before.total) return;
    if ((after.idle - before.idle) / (after.total - before.total) >= 0.5) return;
  }
}

let status = 0;
for (const { files: batch, concurrency } of batches) {
  if (concurrency === 1 && batches.length > 1) quietDown();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...batch],
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
