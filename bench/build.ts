/**
 * Compiles the proxy as `npm run build` does (tsc -p tsconfig.json), into the benchmark's own folder so
 * that a concurrent build of dist/ is never disturbed: the benchmark measures the JavaScript that
 * production runs, not tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface BuildResult {
  /** The compiled entry point (`<outDir>/cli.js`). */
  readonly cli: string;
  /** tsc's diagnostics; empty for a clean build. tsc emits even with type errors (noEmitOnError is off). */
  readonly diagnostics: readonly string[];
  readonly ms: number;
}

/** Runs tsc; throws when it emitted no cli.js. */
export function buildProxy(root: string, outDir: string): BuildResult {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const began = performance.now();
  const run = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', outDir, '--pretty', 'false'],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  const diagnostics = `${run.stdout ?? ''}${run.stderr ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const cli = join(outDir, 'cli.js');
  if (!existsSync(cli))
    throw new Error(
      `the proxy did not build (tsc exit ${run.status ?? run.signal}):\n${diagnostics.join('\n')}`,
    );
  return { cli, diagnostics, ms: Math.round(performance.now() - began) };
}
