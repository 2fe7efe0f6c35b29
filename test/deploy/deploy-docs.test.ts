/**
 * docs/deploy.md names files and commands that exist: every `deploy/…` path it mentions, and the one
 * command per Docker layout, as install.sh runs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LAYOUTS, repoRoot, serverFolder } from './recipe-install.js';

const docs = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');

test('every deploy/… path in docs/deploy.md exists', () => {
  const paths = [
    ...new Set([...docs.matchAll(/(?:^|[\s`])(deploy\/[\w.*/-]*[\w*])/gm)].map((m) => m[1] ?? '')),
  ];
  for (const known of ['deploy/docker/single/proxy.yaml', 'deploy/systemd/xiaozhi-ota-proxy.service']) {
    assert.ok(paths.includes(known), `the scan finds ${known}`);
  }
  for (const path of paths) {
    if (path.includes('*')) {
      // A glob in the last segment: at least one file matches.
      const pattern = new RegExp(`^${path.split('/').at(-1)?.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
      const names = readdirSync(join(repoRoot, dirname(path)));
      assert.ok(
        names.some((n) => pattern.test(n)),
        path,
      );
    } else {
      assert.ok(existsSync(join(repoRoot, path)), path);
    }
  }
});

for (const layout of LAYOUTS) {
  test(`the ${layout.layout} command in docs/deploy.md is the one install.sh runs`, (t) => {
    const folder = serverFolder(layout);
    t.after(() => folder.remove());
    const run = folder.install([]);
    assert.equal(run.status, 0, run.stderr);
    const up = run.dockerCalls.at(-1)?.args.join(' ');
    assert.ok(docs.includes(`\ndocker ${up}\n`), `docs/deploy.md shows: docker ${up}`);
    assert.ok(docs.includes(`install.sh ${layout.layout}\n`));
  });
}
