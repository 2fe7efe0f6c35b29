/**
 * `xiaozhi-ota-proxy validate`: the configuration and the catalog checked offline, every problem with
 * its file:line:col, a one-line summary when all is well, and the exit code (0 clean, 1 catalog
 * problems, 2 unusable config). One case also runs through the real CLI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runValidateCli } from '../../src/runtime/validate.js';
import { buildAppImage, buildMergedImage } from '../helpers/app-image.js';

const root = new URL('../../', import.meta.url).pathname;

interface Run {
  readonly code: number;
  readonly lines: string[];
  readonly stderr: string;
}

async function validate(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runValidateCli(args, {
    env: {},
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
  });
  return { code, lines: out.split('\n').filter((line) => line !== ''), stderr: err };
}

describe('validate', () => {
  let dir: string;
  const good = buildAppImage({ version: '2.0.4' });
  const write = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const entry = (file: string, version: string, extra = ''): string =>
    `- board: bread-compact-wifi\n  version: "${version}"\n  file: ${file}\n${extra}`;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ota-validate-'));
    mkdirSync(join(dir, 'fw'));
    write('fw/good.bin', good);
    write('fw/merged.bin', buildMergedImage({ version: '2.0.5' }));
    write('fw/other.bin', buildAppImage({ version: '2.0.7', seed: 1 }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a good config and catalog: one summary line, exit 0', async () => {
    write(
      'fw/catalog.yaml',
      entry('good.bin', '2.0.4', `  sha256: ${createHash('sha256').update(good).digest('hex')}\n`),
    );
    const config = write('good.yaml', 'listen: 127.0.0.1:0\nfirmware:\n  dir: fw\n');
    const run = await validate(['--config', config]);
    assert.equal(run.code, 0, run.lines.join('\n'));
    assert.equal(run.lines.length, 1);
    assert.match(run.lines[0] ?? '', /^.*good\.yaml is valid; .*fw\/catalog\.yaml: 1 entry, all valid$/);
  });

  test('no firmware.dir: the config alone, exit 0', async () => {
    const run = await validate(['-c', write('nofw.yaml', '')]);
    assert.equal(run.code, 0);
    assert.equal(run.lines.length, 1);
    assert.match(run.lines[0] ?? '', /is valid; no firmware\.dir/);
  });

  test('a bad config: every problem with file:line:col, exit 2, the catalog not read', async () => {
    const config = write('bad.yaml', 'upstream:\n  timeout_ms: 30000\nfoo: 1\nfirmware:\n  dir: nowhere\n');
    const run = await validate(['--config', config]);
    assert.equal(run.code, 2);
    assert.equal(run.lines.length, 3, run.lines.join('\n'));
    assert.match(run.lines[0] ?? '', /^`upstream\.timeout_ms` .* at .*bad\.yaml:2:15$/);
    assert.match(run.lines[1] ?? '', /^unknown key `foo` at .*bad\.yaml:3:1$/);
    assert.match(run.lines[2] ?? '', /bad\.yaml: 2 problems; the proxy would not start with it$/);
  });

  test('entries the proxy would skip are problems named with their position and reason, in file order, exit 1', async () => {
    write(
      'fw/catalog.yaml',
      [
        entry('good.bin', '2.0.4'),
        entry('missing.bin', '2.0.6'),
        entry('merged.bin', '2.0.5'),
        entry('other.bin', '2.0.7', `  sha256: ${'0'.repeat(64)}\n`),
        entry('good.bin', '2.0.8', '  rollout: 101\n'),
      ].join(''),
    );
    const config = write('skips.yaml', 'firmware:\n  dir: fw\n');
    const run = await validate(['--config', config]);
    assert.equal(run.code, 1);
    const catalog = join(dir, 'fw/catalog.yaml');
    const problems = run.lines.slice(0, -1);
    assert.deepEqual(
      problems.map((line) => [
        /^`(catalog\[\d\][.\w]*)`/.exec(line)?.[1],
        line.slice(line.lastIndexOf(' at ') + 4),
      ]),
      [
        ['catalog[1]', `${catalog}:6:9`],
        ['catalog[2]', `${catalog}:9:9`],
        ['catalog[3]', `${catalog}:13:11`],
        ['catalog[4].rollout', `${catalog}:17:12`],
      ],
    );
    assert.match(problems[0] ?? '', /missing\.bin does not exist/);
    assert.match(problems[1] ?? '', /merged\.bin is a merged flash image/);
    assert.match(problems[2] ?? '', /other\.bin has sha256 [0-9a-f]{64}, not the 0{64} the entry expects/);
    assert.match(run.lines.at(-1) ?? '', /skips\.yaml is valid; .*: 1 entry in use, 4 problems$/);
  });

  test('a catalog.yaml that does not parse: the YAML problem with its position, exit 1', async () => {
    write('fw/catalog.yaml', '[]\n- board: x\n');
    const run = await validate(['--config', write('unparsable.yaml', 'firmware:\n  dir: fw\n')]);
    assert.equal(run.code, 1);
    assert.match(run.lines[0] ?? '', /delete the `\[\]` on line 1 at .*fw\/catalog\.yaml:2:1$/);
    assert.match(run.lines.at(-1) ?? '', /catalog\.yaml cannot be used/);
  });

  test('--help exits 0; an unknown option exits 2', async () => {
    assert.equal((await validate(['--help'])).code, 0);
    const run = await validate(['--nope']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Usage: xiaozhi-ota-proxy validate/);
  });

  test('through the real CLI: the exit code and the problems on stdout', () => {
    write('fw/catalog.yaml', entry('missing.bin', '2.0.6'));
    const config = write('cli.yaml', 'listen: 127.0.0.1:0\nfirmware:\n  dir: fw\n');
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'validate', '--config', config],
      {
        cwd: root,
        env: { ...process.env, NODE_OPTIONS: '' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stdout,
      /`catalog\[0\]` \(bread-compact-wifi 2\.0\.6\) is skipped: missing\.bin does not exist/,
    );
    assert.match(result.stdout, /cli\.yaml is valid; .*: 0 entries in use, 1 problem\n$/);
  });
});
