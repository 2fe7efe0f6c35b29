/** The command line: --help, --version, a bad config exits non-zero naming file:line:col before listening, a port in use is one clear line. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as runCliProcess, type CliRun } from '../helpers/cli-process.js';

const root = new URL('../../', import.meta.url).pathname;

/** The help text follows the locale (cli-help-language.test.ts); these assertions read the English one. */
function runCli(args: string[], { timeoutMs = 20_000 } = {}): Promise<CliRun> {
  return runCliProcess(args, { env: { LC_ALL: 'C.UTF-8' }, timeoutMs });
}

describe('cli', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ota-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help prints usage and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--config/);
  });

  test('--version prints the package version', async () => {
    const { code, stdout } = await runCli(['--version']);
    assert.equal(code, 0);
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(stdout, `${version}\n`);
  });

  test('an unknown flag exits 2 with usage', async () => {
    const { code, stderr } = await runCli(['--nope']);
    assert.equal(code, 2);
    assert.equal(stderr.split('\n')[0], "Unknown option '--nope'");
    assert.match(stderr, /Usage/);
  });

  test('a bad config exits 2 naming the key and file:line:col, before anything listens', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen: 127.0.0.1:0\nupstream:\n  url: localhost:8002\n');
    const { code, stdout, stderr } = await runCli(['--config', file]);
    assert.equal(code, 2);
    assert.equal(stdout, '', 'no log line at all, so no `listening` line (log lines go to stdout)');
    assert.equal(
      stderr,
      'xiaozhi-ota-proxy: the configuration cannot be used (CONFIG_INVALID):\n' +
        `  - \`upstream.url\` must be an http(s) URL such as http://127.0.0.1:8002 (got "localhost:8002") at ${file}:3:8\n`,
    );
  });

  test('a port in use is one clear line and a non-zero exit', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const file = join(dir, 'busy.yaml');
      writeFileSync(file, `listen: 127.0.0.1:${port}\nupstream:\n  url: http://127.0.0.1:1\n`);
      const { code, stderr } = await runCli(['--config', file]);
      assert.equal(code, 1);
      assert.equal(
        stderr,
        `xiaozhi-ota-proxy: cannot listen on 127.0.0.1:${port}: the port is already in use\n`,
      );
    } finally {
      blocker.close();
    }
  });
});
