import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const logger = fileURLToPath(new URL('../../src/runtime/logger.ts', import.meta.url));

/** Runs `body` in a fresh Node process with `log` made by createLogger (JSON lines on stdout). */
function run(body: string): { lines: Record<string, unknown>[]; status: number | null } {
  const script = `import { createLogger } from ${JSON.stringify(logger)};
const log = createLogger({ level: 'info', pretty: false });
${body}`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const lines = child.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, status: child.status };
}

test('every line logged is written whole and in order, also when the process exits right after logging', () => {
  const { lines, status } = run(
    "for (let i = 0; i < 5000; i++) log.info({ i, websocket: { token: 'secret' } }, 'ota check');\nprocess.exit(0);",
  );
  assert.equal(status, 0);
  assert.equal(lines.length, 5000);
  lines.forEach((line, i) => {
    assert.equal(line.i, i);
    assert.equal(line.msg, 'ota check');
    assert.equal(line.level, 30);
    assert.equal(line.name, 'xiaozhi-ota-proxy');
    // The same content as before: redaction still applies.
    assert.deepEqual(line.websocket, { token: '[redacted]' });
  });
});

test('lines logged before an uncaught exception are written, in order', () => {
  const { lines, status } = run("log.info('one');\nlog.warn('two');\nthrow new Error('boom');");
  assert.notEqual(status, 0);
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['one', 'two'],
  );
});

test('a line waits at most a moment in the buffer, and the buffer keeps no process alive', () => {
  // SIGKILL skips every exit handler: only what was written before it survives.
  const killed = run("log.info('first');\nsetTimeout(() => process.kill(process.pid, 'SIGKILL'), 600);");
  assert.deepEqual(
    killed.lines.map((l) => l.msg),
    ['first'],
  );
  // Nothing else to do: the process ends at once and writes its line on the way out.
  const ended = run("log.info('only');");
  assert.equal(ended.status, 0);
  assert.deepEqual(
    ended.lines.map((l) => l.msg),
    ['only'],
  );
});
