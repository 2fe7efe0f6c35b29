/**
 * `npm start` in a terminal (issue 12 §7–§8), in a real pseudo-terminal: the start line names the address,
 * the upstreams, admin and the catalog; a check is one readable line; SIGHUP with the terminal still open
 * reloads (the proxy keeps running); closing the terminal ends the proxy (a clean shutdown, then SIGHUP's default action). Without a terminal
 * SIGHUP only reloads: shutdown-cli-signals.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { pythonPtyAvailable, runInTerminal } from '../helpers/pty-driver.js';
import { rawRequest } from '../helpers/raw-client.js';

const root = new URL('../../', import.meta.url).pathname;
const havePty = pythonPtyAvailable();
if (!havePty && process.env.CI === 'true') throw new Error('python3 with the pty module is needed under CI');

describe('the proxy in a terminal', { skip: havePty ? false : 'python3 (pty) is not installed' }, () => {
  let dir: string;
  let upstream: FakeUpstream;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ota-cli-terminal-'));
    upstream = await startFakeUpstream();
    mkdirSync(join(dir, 'firmware'));
    writeFileSync(join(dir, 'firmware', 'catalog.yaml'), '# no entries yet\n');
    writeFileSync(
      join(dir, 'proxy.yaml'),
      [
        'listen: 127.0.0.1:0',
        'upstream:',
        `  url: ${upstream.url}`,
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'voice_proxy:',
        '  upstream: ws://127.0.0.1:8000',
        'firmware:',
        '  dir: firmware',
        'fleet:',
        '  enabled: false',
        'log:',
        '  pretty: auto',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'one line per check; SIGHUP reloads; closing the terminal ends the proxy',
    { timeout: 90_000 },
    async () => {
      const program = runInTerminal(
        [process.execPath, '--import', 'tsx', 'src/cli.ts', '--config', join(dir, 'proxy.yaml')],
        { cwd: root, env: { ...process.env, NODE_OPTIONS: '', LC_ALL: 'C.UTF-8', TERM: 'dumb' } },
      );
      try {
        const start = await eventually(
          () => /^.*listening on 127\.0\.0\.1:(\d+) .*$/m.exec(program.output()),
          {
            timeoutMs: 30_000,
            what: `the start line (so far: ${program.output()})`,
          },
        );
        const line = start[0];
        assert.doesNotMatch(line, /^\{/, 'a readable line, not JSON');
        assert.match(line, new RegExp(`upstream ${upstream.url.replace(/\./g, '\\.')}/? `));
        assert.match(line, / · voice upstream: ws:\/\/127\.0\.0\.1:8000\/? · /);
        assert.match(line, / · admin: off /);
        assert.match(line, / · catalog: 0 entries in \/\S+\/firmware · /);
        const port = Number(start[1]);
        // The start-up look at the upstream: something listens there.
        await eventually(() => /upstream reachable/.test(program.output()), {
          what: 'the upstream probe line',
        });

        const before = program.output().length;
        const reply = await rawRequest(port, deviceCheck());
        assert.equal(reply.status, 200);
        const checkLines = await eventually(
          () => {
            const lines = program
              .output()
              .slice(before)
              .split(/\r?\n/)
              .filter((l) => l.includes('aa:bb:cc:dd:ee:01'));
            return lines.length > 0 ? lines : null;
          },
          { what: 'the check line' },
        );
        assert.equal(checkLines.length, 1, checkLines.join('\n'));
        assert.match(
          checkLines[0] ?? '',
          /INFO {2}check aa:bb:cc:dd:ee:01 \S+ 1\.6\.0 from 127\.0\.0\.1 → rewritten 200 · changed: \S+/,
        );
        // Nothing else came with it: no multi-line record.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const after = program
          .output()
          .slice(before)
          .split(/\r?\n/)
          .filter((l) => l.trim() !== '');
        assert.equal(after.length, 1, after.join('\n'));

        program.hangUpSignal();
        await eventually(() => /config reloaded: unchanged reason=SIGHUP/.test(program.output()), {
          what: 'the reload after SIGHUP',
        });
        const still = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        assert.equal(still.status, 200, 'still answering after SIGHUP');

        program.closeTerminal();
        const code = await Promise.race([
          program.exited,
          new Promise<string>((resolve) => setTimeout(() => resolve('still running 15 s after'), 15_000)),
        ]);
        // Killed by SIGHUP after its shutdown, as any program in a closed terminal (status 129 to a shell).
        assert.equal(code, -1, 'the proxy ends by SIGHUP when its terminal closes');
        await assert.rejects(
          rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
          'no longer listening',
        );
      } finally {
        program.stop();
      }
    },
  );
});
