/**
 * Reload from a changed config file (docs/configuration.md "Reload scope"): a file that does not parse or fails
 * validation keeps the running configuration and says why; a good one applies the reloadable keys at once,
 * keeps the restart-only ones (`listen`, `limits` …) and names them; devices are answered throughout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('reload with a broken file', () => {
  let h: Harness;
  let file: string;
  const yaml = (wsUrl: string, extra = ''): string =>
    `listen: 127.0.0.1:0\nupstream:\n  url: ${h.upstream.url}\n  timeout_ms: 2000\nwebsocket:\n  url: ${wsUrl}\n${extra}`;
  before(async () => {
    h = await startHarness({ yaml: 'websocket:\n  url: ws://first.example:8000/xiaozhi/v1/\n' });
    file = join(h.dir, 'proxy.yaml');
  });
  after(() => h.close());

  const wsUrl = async (): Promise<string> => {
    const res = await rawRequest(h.port, deviceCheck());
    assert.equal(res.status, 200);
    return (JSON.parse(res.body.toString('utf8')) as { websocket: { url: string } }).websocket.url;
  };
  const failures = (): number =>
    h.logs.filter((l) => l.msg === 'config reload failed: keeping the running configuration').length;

  // Each with the one issue's ending: where in the file, or that it is empty.
  for (const [name, text, where] of [
    ['YAML that does not parse', 'listen: [127.0.0.1:0\nwebsocket: {url: \n', ' at {file}:2:1'],
    [
      'an unknown key',
      'listen: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:1\nwebsockets:\n  url: ws://x/\n',
      ' at {file}:4:1',
    ],
    [
      'a value of the wrong kind',
      'listen: 127.0.0.1:0\nupstream:\n  url: localhost:8002\n',
      ' at {file}:3:8',
    ],
    // An editor's save caught half-way: truncated, not yet written.
    ['an empty file', '', '{file} is empty'],
    ['only comments', '# being edited\n\n', '{file} is empty'],
  ] as const) {
    test(`${name}: the running config stays, the failure is logged`, async () => {
      const before = failures();
      writeFileSync(file, text);
      await eventually(() => failures() > before, { what: 'the reload failure line' });
      const line = h.logs
        .filter((l) => l.msg === 'config reload failed: keeping the running configuration')
        .at(-1);
      assert.equal(line?.level, 50);
      const issues = line?.issues as string[];
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.ok(issues[0]?.endsWith(where.replace('{file}', file)), issues[0]);
      assert.equal(await wsUrl(), 'ws://first.example:8000/xiaozhi/v1/');
      // An explicit reload (SIGHUP) of the same broken file says so too.
      assert.equal((await h.proxy.reload('test')).ok, false);
    });
  }

  test('a good file applies at once; restart-only keys are kept and named', async () => {
    const reloaded = (): number => h.logs.filter((l) => l.msg === 'config reloaded').length;
    const before = reloaded();
    writeFileSync(file, yaml('ws://second.example:8000/xiaozhi/v1/', 'limits:\n  device_body_bytes: 1024\n'));
    await eventually(() => reloaded() > before, { what: 'config reloaded' });
    assert.equal(await wsUrl(), 'ws://second.example:8000/xiaozhi/v1/');
    const restart = h.logs.find(
      (l) => l.msg === 'config changed keys that need a restart: running with their old values',
    );
    assert.deepEqual(restart?.keys, ['limits']);
    // The running limit is still 65536: a 1146-byte body passes.
    assert.equal(h.proxy.config().limits.deviceBodyBytes, 65536);
  });
});
