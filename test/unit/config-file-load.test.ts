import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfigFile } from '../../src/runtime/config-file.js';
import { ConfigError } from '../../src/errors.js';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xz-config-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('loads a file: absolute Config.file, paths against its folder, ${VAR} from the env given', async () => {
  const path = join(dir, 'proxy.yaml');
  await writeFile(path, 'firmware:\n  dir: ./fw\nupstream:\n  url: ${UP}\n');
  const config = await loadConfigFile(path, { env: { UP: 'http://10.0.0.2:8003' } });
  assert.equal(config.file, path);
  assert.equal(config.firmware.dir, join(dir, 'fw'));
  assert.equal(config.upstream.target.href, 'http://10.0.0.2:8003');
});

test('messages name the file as the user gave it', async () => {
  const path = join(dir, 'bad.yaml');
  await writeFile(path, 'listen: nope\n');
  const given = relative(process.cwd(), path);
  await assert.rejects(loadConfigFile(given, { env: {} }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.issues[0]?.file, given);
    assert.ok(error.issues[0]?.message.endsWith(` at ${given}:1:9`));
    return true;
  });
});

test('a missing file is CONFIG_UNREADABLE naming the path', async () => {
  const path = join(dir, 'missing.yaml');
  await assert.rejects(loadConfigFile(path, { env: {} }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'CONFIG_UNREADABLE');
    assert.equal(error.issues[0]?.file, path);
    assert.ok(error.message.includes(path));
    return true;
  });
});

test('a folder is CONFIG_UNREADABLE', async () => {
  await assert.rejects(
    loadConfigFile(dir, { env: {} }),
    (error: unknown) => error instanceof ConfigError && error.code === 'CONFIG_UNREADABLE',
  );
});

test('a file that is not UTF-8 is CONFIG_INVALID', async () => {
  const path = join(dir, 'latin1.yaml');
  await writeFile(path, Buffer.from([0x6c, 0x6f, 0x67, 0x3a, 0x20, 0xe9, 0x0a]));
  await assert.rejects(
    loadConfigFile(path, { env: {} }),
    (error: unknown) => error instanceof ConfigError && error.code === 'CONFIG_INVALID',
  );
});

test("this machine's own addresses count for the loop check", async (t) => {
  const own = Object.values(networkInterfaces())
    .flat()
    .find((info) => info !== undefined && !info.internal && info.family === 'IPv4')?.address;
  if (own === undefined) {
    t.skip('no non-loopback IPv4 interface here');
    return;
  }
  const path = join(dir, 'loop.yaml');
  await writeFile(path, `listen: 0.0.0.0:8003\nupstream:\n  url: http://${own}:8003\n`);
  await assert.rejects(loadConfigFile(path, { env: {} }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.issues.map((i) => i.path),
      ['upstream.url'],
    );
    return true;
  });
});
