/**
 * deploy/docker/install.sh in a server folder, with a fake `docker` on PATH that records what it is
 * asked: the one command that brings a recipe up, what it copies, what it keeps, what it refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUTS, officialText, repoRoot, serverFolder } from './recipe-install.js';

const [single, full] = LAYOUTS;
if (single === undefined || full === undefined) throw new Error('two layouts');

const readRepo = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

test('install.sh is executable', () => {
  assert.equal(statSync(join(repoRoot, 'deploy/docker/install.sh')).mode & 0o111, 0o111);
});

for (const layout of [single, full]) {
  test(`${layout.layout}: one command copies the recipe and runs docker compose up with the official file first`, (t) => {
    const folder = serverFolder(layout);
    t.after(() => folder.remove());
    const run = folder.install([], { composeVersion: '2.24.4' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.dockerCalls, [
      { args: ['compose', 'version'], cwd: folder.dir },
      { args: ['compose', 'version', '--short'], cwd: folder.dir },
      {
        args: [
          'compose',
          '-f',
          layout.official,
          ...layout.overrides.flatMap((f) => ['-f', f]),
          'up',
          '-d',
          '--build',
        ],
        cwd: folder.dir,
      },
    ]);
    assert.deepEqual(
      readdirSync(folder.dir).sort(),
      ['.env', layout.official, ...layout.overrides, 'ota-proxy'].sort(),
    );
    assert.deepEqual(readdirSync(join(folder.dir, 'ota-proxy')).sort(), ['config', 'firmware', 'tls']);
    assert.equal(
      folder.read('ota-proxy/config/proxy.yaml'),
      readRepo(`deploy/docker/${layout.layout}/proxy.yaml`),
    );
    for (const file of layout.overrides)
      assert.equal(folder.read(file), readRepo(`deploy/docker/${layout.layout}/${file}`));
    assert.equal(folder.read(layout.official), officialText(layout));
    const env = envFile(folder.read('.env'));
    assert.deepEqual(Object.keys(env), ['COMPOSE_FILE', 'OTA_PROXY_SRC', 'OTA_PROXY_ADMIN_TOKEN']);
    assert.equal(env.COMPOSE_FILE, [layout.official, ...layout.overrides].join(':'));
    assert.equal(env.OTA_PROXY_SRC, repoRoot.replace(/\/$/, ''));
    assert.match(env.OTA_PROXY_ADMIN_TOKEN ?? '', /^[0-9a-f]{48}$/);
  });
}

test('a second run replaces the recipe files but keeps the config, the catalog and .env as the user left them', (t) => {
  const folder = serverFolder(single);
  t.after(() => folder.remove());
  assert.equal(folder.install().status, 0);
  const token = envFile(folder.read('.env')).OTA_PROXY_ADMIN_TOKEN;
  writeFileSync(join(folder.dir, 'ota-proxy/config/proxy.yaml'), 'listen: 0.0.0.0:8003\n');
  writeFileSync(join(folder.dir, 'ota-proxy/firmware/catalog.yaml'), '- board: b\n');
  writeFileSync(join(folder.dir, 'docker-compose.ota-proxy.yml'), 'services: {}\n');
  const run = folder.install();
  assert.equal(run.status, 0, run.stderr);
  assert.equal(folder.read('ota-proxy/config/proxy.yaml'), 'listen: 0.0.0.0:8003\n');
  assert.equal(folder.read('ota-proxy/firmware/catalog.yaml'), '- board: b\n');
  assert.equal(
    folder.read('docker-compose.ota-proxy.yml'),
    readRepo('deploy/docker/single/docker-compose.ota-proxy.yml'),
  );
  assert.equal(envFile(folder.read('.env')).OTA_PROXY_ADMIN_TOKEN, token);
  assert.equal(
    folder
      .read('.env')
      .split('\n')
      .filter((l) => l.startsWith('OTA_PROXY_ADMIN_TOKEN=')).length,
    1,
  );
});

test('.env: added to without joining a last line that has no newline; a COMPOSE_FILE of the user is kept', (t) => {
  const folder = serverFolder(full);
  t.after(() => folder.remove());
  writeFileSync(join(folder.dir, '.env'), 'COMPOSE_FILE=docker-compose_all.yml:mine.yml\nTZ=UTC');
  const run = folder.install();
  assert.equal(run.status, 0, run.stderr);
  const env = envFile(folder.read('.env'));
  assert.equal(env.COMPOSE_FILE, 'docker-compose_all.yml:mine.yml');
  assert.equal(env.TZ, 'UTC');
  assert.match(env.OTA_PROXY_ADMIN_TOKEN ?? '', /^[0-9a-f]{48}$/);
  assert.match(run.stderr, /should include docker-compose_all\.yml:docker-compose_all\.ota-proxy\.yml:/);
});

test('an older Compose is refused before anything is copied, naming --legacy', (t) => {
  const folder = serverFolder(single);
  t.after(() => folder.remove());
  const run = folder.install([], { composeVersion: '2.24.3' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /Docker Compose 2\.24\.3 .*needs 2\.24\.4/);
  assert.match(run.stderr, /--legacy/);
  assert.deepEqual(readdirSync(folder.dir), [single.official]);
  assert.equal(
    run.dockerCalls.some((c) => c.args.includes('up')),
    false,
  );
});

test('--legacy edits the official file (keeping the original) and leaves the ports file out', (t) => {
  const folder = serverFolder(full);
  t.after(() => folder.remove());
  const run = folder.install(['--legacy'], { composeVersion: '2.20.2' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.dockerCalls.at(-1)?.args, [
    'compose',
    '-f',
    'docker-compose_all.yml',
    '-f',
    'docker-compose_all.ota-proxy.yml',
    'up',
    '-d',
    '--build',
  ]);
  assert.equal(folder.read('docker-compose_all.yml.orig'), officialText(full));
  assert.equal(existsSync(join(folder.dir, 'docker-compose_all.ota-proxy.ports.yml')), false);
  assert.equal(
    envFile(folder.read('.env')).COMPOSE_FILE,
    'docker-compose_all.yml:docker-compose_all.ota-proxy.yml',
  );
  // Run again without --legacy after upgrading Compose: COMPOSE_FILE follows, the edit stays.
  assert.equal(folder.install([], { composeVersion: '2.30.0' }).status, 0);
  assert.equal(
    envFile(folder.read('.env')).COMPOSE_FILE,
    full.overrides.reduce((a, f) => `${a}:${f}`, full.official),
  );
});

test('a folder without the official compose file is refused', (t) => {
  const folder = serverFolder(single);
  t.after(() => folder.remove());
  rmSync(join(folder.dir, single.official));
  const run = folder.install();
  assert.equal(run.status, 1);
  assert.match(run.stderr, /no docker-compose\.yml in /);
  assert.deepEqual(readdirSync(folder.dir), []);
});
