#!/usr/bin/env node
// npm's `prepare` step: compile src/ to dist/ on `npm install`, so `npm start`, `npx xiaozhi-ota-proxy`
// and the `xiaozhi-ota-proxy` command run the compiled proxy with plain `node` (signals reach it
// directly; no tsx at run time). It builds nothing where there is nothing to build: the image's build
// stage installs dependencies before copying src/ (its own `npm run build` follows), and an install
// without devDependencies has no TypeScript (it then says how to build).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(`${root}tsconfig.json`) || !existsSync(`${root}src/cli.ts`)) {
  console.log('prepare: no src/ here: nothing to build (`npm run build` builds once it is copied)');
  process.exit(0);
}
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.warn(
    'prepare: TypeScript is not installed (devDependencies omitted): dist/ was not built.\n' +
      '  Run `npm install` (with devDependencies) to build, or use the Docker image.',
  );
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) console.error('prepare: `tsc -p tsconfig.json` failed: dist/ is not up to date');
process.exit(result.status ?? 1);
