/**
 * The Dockerfile, read as text: the runtime stage runs as `node`, owns only what the proxy writes, and
 * every file it copies is in the build context (.dockerignore). What the compose recipes need from it
 * is checked with them (docker-compose-recipes.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execForm, instructionsOf, readDockerfile } from './dockerfile.js';
import { repoRoot } from './recipe-install.js';

const dockerfile = readDockerfile();
const build = dockerfile.stages[0];
const runtime = dockerfile.stages.at(-1);
if (build === undefined || runtime === undefined || build === runtime) throw new Error('expected two stages');

/** Index of the first instruction of `stage` matching. */
function indexOf(keyword: string, pattern: RegExp): number {
  return runtime?.instructions.findIndex((i) => i.keyword === keyword && pattern.test(i.args)) ?? -1;
}

test('two stages on the same Node 20 base, chosen by one build argument', () => {
  assert.equal(dockerfile.globalArgs.get('NODE_IMAGE'), 'node:20-bookworm-slim');
  assert.deepEqual(
    dockerfile.stages.map((s) => [s.name, s.from]),
    [
      ['build', '${NODE_IMAGE}'],
      ['runtime', '${NODE_IMAGE}'],
    ],
  );
  const engines = (
    JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
  ).engines.node;
  assert.match(engines, /^>=20\./);
  assert.ok(instructionsOf(build, 'ARG').includes('NPM_REGISTRY=https://registry.npmjs.org/'));
  assert.ok(
    instructionsOf(build, 'RUN').some(
      (r) => r.includes('npm ci') && r.includes('--registry="$NPM_REGISTRY"'),
    ),
  );
});

test('/app/data and firmware.dir are created for the node user before it takes over; code and config stay root', () => {
  const user = indexOf('USER', /.*/);
  assert.deepEqual(instructionsOf(runtime, 'USER'), ['node']);
  const makesData = indexOf('RUN', /mkdir -p \/app\/data(\s|$)/);
  const chowns = indexOf('RUN', /chown -R node:node \/app\/firmware \/app\/data(\s|$)/);
  assert.notEqual(makesData, -1, 'a RUN creates /app/data');
  assert.notEqual(chowns, -1, 'a RUN gives /app/firmware and /app/data to node');
  assert.ok(makesData < user && chowns < user, 'as root, before USER node');
  // After the chown nothing copies into those folders again (a COPY would bring root-owned files).
  const copiesAfter = runtime.instructions.slice(chowns).filter((i) => i.keyword === 'COPY');
  assert.deepEqual(copiesAfter, []);
  for (const copy of instructionsOf(runtime, 'COPY').filter((c) => !c.startsWith('firmware '))) {
    assert.match(copy, /^(--from=build )?--chown=root:root /, copy);
  }
  assert.deepEqual(instructionsOf(runtime, 'VOLUME').map(execForm), [['/app/data']]);
  assert.deepEqual(instructionsOf(runtime, 'WORKDIR'), ['/app']);
});

test('the health check asks the proxy through the CLI, with the config the container runs', () => {
  const [healthcheck] = instructionsOf(runtime, 'HEALTHCHECK');
  const cmd = execForm((healthcheck ?? '').slice((healthcheck ?? '').indexOf('CMD ') + 4));
  const run = [
    ...execForm(instructionsOf(runtime, 'ENTRYPOINT')[0] ?? '[]'),
    ...execForm(instructionsOf(runtime, 'CMD')[0] ?? '[]'),
  ];
  assert.deepEqual(run, ['node', 'dist/cli.js', '--config', '/app/config/proxy.yaml']);
  assert.deepEqual(cmd, ['node', 'dist/cli.js', 'healthcheck', '--config', '/app/config/proxy.yaml']);
  assert.deepEqual(instructionsOf(runtime, 'STOPSIGNAL'), ['SIGTERM']);
});

test('everything the Dockerfile copies exists and is not left out by .dockerignore', () => {
  const patterns = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  // .dockerignore patterns are Go filepath.Match globs from the context root.
  const ignored = (path: string): boolean =>
    patterns.some((p) =>
      new RegExp(
        `^${p
          .replace(/[.+^$()|{}\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')}(/|$)`,
      ).test(path),
    );
  const sources = dockerfile.stages
    .flatMap((s) => instructionsOf(s, 'COPY'))
    .filter((c) => !c.startsWith('--from='))
    .flatMap((c) => {
      const words = c.split(/\s+/).filter((w) => !w.startsWith('--'));
      return words.slice(0, -1);
    });
  assert.deepEqual(sources.sort(), [
    'config',
    'firmware',
    'package-lock.json',
    'package.json',
    'package.json',
    'scripts/build-on-install.mjs',
    'src',
    'tsconfig.json',
  ]);
  for (const source of sources) {
    assert.ok(existsSync(join(repoRoot, source)), `${source} exists`);
    assert.equal(ignored(source), false, `${source} is in the build context`);
  }
  for (const left of ['node_modules', 'test', 'deploy', 'docs', 'README.md', '.git', '.env']) {
    assert.equal(ignored(left), true, `${left} stays out of the build context`);
  }
});
