/**
 * What `npm install && npm start` and `npx xiaozhi-ota-proxy` rest on (issue 12 §3, §8): `prepare` builds
 * dist/ on install, `start` runs the compiled CLI with node itself (so signals reach the proxy, not tsx),
 * `dev` keeps tsx, and the `bin` is the compiled CLI with its shebang. The image's build stage installs
 * before src/ is copied: there `prepare` builds nothing and succeeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { outDir: string; rootDir: string };
};

test('npm start runs the compiled proxy with node; npm run dev runs the sources with tsx', () => {
  assert.equal(pkg.scripts.start, 'node dist/cli.js --config config/proxy.yaml');
  assert.equal(pkg.scripts.dev, 'tsx src/cli.ts --config config/proxy.yaml');
  assert.equal(pkg.scripts.prepare, 'node scripts/build-on-install.mjs');
  // dist/cli.js is what tsc makes of src/cli.ts.
  assert.deepEqual([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir], ['src', 'dist']);
});

test('the command is the compiled CLI, runnable by itself', () => {
  assert.deepEqual(pkg.bin, { 'xiaozhi-ota-proxy': 'dist/cli.js' });
  assert.ok(readFileSync(join(root, 'src/cli.ts'), 'utf8').startsWith('#!/usr/bin/env node\n'));
});

test('prepare builds nothing, successfully, where src/ is not there yet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ota-prepare-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(root, 'scripts/build-on-install.mjs'), join(dir, 'scripts/build-on-install.mjs'));
    const run = spawnSync(process.execPath, ['scripts/build-on-install.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /nothing to build/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
