/**
 * A server folder as a self-hoster has it after deploy/docker/install.sh: the official compose file (a
 * fixture, or OFFICIAL_COMPOSE_DIR's) and what the script copied beside it. A fake `docker` on PATH
 * records what the script runs, so nothing needs a Docker engine. `remove()` deletes the folder.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeComposeFiles, readComposeFile } from './compose-model.js';
import type { ComposeFile, Env, JsonMapping } from './compose-model.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const installScript = join(repoRoot, 'deploy/docker/install.sh');
/** The official compose files: exact upstream copies when OFFICIAL_COMPOSE_DIR names their folder. */
export const officialDir =
  process.env.OFFICIAL_COMPOSE_DIR ?? join(repoRoot, 'test/fixtures/official-compose');

export interface Layout {
  readonly layout: 'single' | 'full';
  /** The official file's name. */
  readonly official: string;
  /** Ours, in `-f` order after the official one. */
  readonly overrides: readonly string[];
  /** The service that published the OTA port devices use. */
  readonly otaService: string;
  /** That host port, which becomes the proxy's. */
  readonly devicePort: string;
  /** The lines `install.sh --legacy` deletes from the official file (older Compose). */
  readonly legacyDeletes: readonly string[];
}

export const LAYOUTS: readonly Layout[] = [
  {
    layout: 'single',
    official: 'docker-compose.yml',
    overrides: ['docker-compose.ota-proxy.yml', 'docker-compose.ota-proxy.ports.yml'],
    otaService: 'xiaozhi-esp32-server',
    devicePort: '8003',
    legacyDeletes: ['      - "8003:8003"'],
  },
  {
    layout: 'full',
    official: 'docker-compose_all.yml',
    overrides: ['docker-compose_all.ota-proxy.yml', 'docker-compose_all.ota-proxy.ports.yml'],
    otaService: 'xiaozhi-esp32-server-web',
    devicePort: '8002',
    // The web service publishes nothing else, and Compose refuses an empty `ports:`.
    legacyDeletes: ['    ports:', '      - "8002:8002"'],
  },
];

export const PROXY = 'xiaozhi-ota-proxy';
export const INIT = 'xiaozhi-ota-proxy-init';

/** The official compose file of `layout`, as the fixture (or OFFICIAL_COMPOSE_DIR) has it. */
export function officialText(layout: Layout): string {
  return readFileSync(join(officialDir, layout.official), 'utf8');
}

/** The lines of `before` missing from `after`, when `after` only deleted lines. */
export function deletedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const deleted: string[] = [];
  let j = 0;
  for (const line of a) {
    if (j < b.length && b[j] === line) j += 1;
    else deleted.push(line);
  }
  if (j !== b.length) throw new Error('the second text is not the first with lines deleted');
  return deleted;
}

export interface InstallResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Each `docker …` call the script made, as its argument list, and the folder it ran in. */
  readonly dockerCalls: { args: string[]; cwd: string }[];
}

export interface ServerFolder {
  readonly dir: string;
  readonly layout: Layout;
  install(args?: readonly string[], options?: { composeVersion?: string }): InstallResult;
  read(name: string): string;
  /** The compose files named, read from this folder with `env` for interpolation. */
  composeFiles(names: readonly string[], env?: Env): ComposeFile[];
  /** `docker compose -f <names…>` as a merged model. */
  model(names: readonly string[], env?: Env): JsonMapping;
  remove(): void;
}

/** A fresh server folder holding only the official compose file of `layout`. */
export function serverFolder(layout: Layout): ServerFolder {
  const base = mkdtempSync(join(tmpdir(), 'ota-proxy-deploy-'));
  const dir = join(base, 'xiaozhi-server');
  const bin = join(base, 'bin');
  mkdirSync(dir);
  mkdirSync(bin);
  copyFileSync(join(officialDir, layout.official), join(dir, layout.official));
  const log = join(base, 'docker-calls.jsonl');
  // Answers `docker compose version [--short]` with FAKE_COMPOSE_VERSION and records every call.
  writeFileSync(
    join(bin, 'docker'),
    [
      '#!/bin/sh',
      `node -e 'require("fs").appendFileSync(process.argv[1], JSON.stringify({args: process.argv.slice(2), cwd: process.cwd()}) + "\\n")' "${log}" "$@"`,
      'if [ "$1 $2" = "compose version" ]; then',
      '  if [ "$3" = "--short" ]; then echo "$FAKE_COMPOSE_VERSION"; else echo "Docker Compose version v$FAKE_COMPOSE_VERSION"; fi',
      'fi',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'docker'), 0o755);

  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  const composeFiles = (names: readonly string[], env: Env = {}): ComposeFile[] =>
    names.map((name) => readComposeFile(read(name), { name, env }));
  return {
    dir,
    layout,
    install(args = ['--no-up'], { composeVersion = '2.29.1' } = {}) {
      writeFileSync(log, '');
      const run = spawnSync('bash', [installScript, ...args, layout.layout, dir], {
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          FAKE_COMPOSE_VERSION: composeVersion,
        },
        timeout: 30_000,
      });
      const dockerCalls = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { args: string[]; cwd: string });
      return { status: run.status, stdout: run.stdout, stderr: run.stderr, dockerCalls };
    },
    read,
    composeFiles,
    model: (names, env = {}) => mergeComposeFiles(composeFiles(names, env)),
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}
