/**
 * The optional outside tools: nginx (the baseline) and wrk (a C load generator that leaves more of the
 * two cores to what is measured). Each is looked up on PATH and in the sbin folders; when missing, the
 * benchmark says how to install it and measures the rest.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Tool {
  readonly name: 'nginx' | 'wrk';
  /** Absolute path, or `null` when not installed. */
  readonly path: string | null;
  readonly version: string | null;
  /** How to install it, for the report. */
  readonly install: string;
}

const INSTALL: Record<Tool['name'], string> = {
  nginx: 'apt-get install -y nginx (Debian/Ubuntu), dnf install nginx (Fedora), brew install nginx (macOS)',
  wrk: 'apt-get install -y wrk (Debian/Ubuntu), brew install wrk (macOS)',
};

/** Finds `name` and reads its version. */
export function findTool(name: Tool['name']): Tool {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
    '/usr/local/bin',
    '/opt/homebrew/bin',
  ];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    return { name, path, version: readVersion(name, path), install: INSTALL[name] };
  }
  return { name, path: null, version: null, install: INSTALL[name] };
}

function readVersion(name: Tool['name'], path: string): string | null {
  // nginx -v writes "nginx version: nginx/1.22.1" to stderr; wrk -v writes "wrk 4.1.0 [epoll] …" and exits 1.
  const run = spawnSync(path, ['-v'], { encoding: 'utf8', timeout: 5000 });
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const match = name === 'nginx' ? /nginx\/(\S+)/.exec(text) : /wrk (\S+)/.exec(text);
  return match?.[1] ?? null;
}
