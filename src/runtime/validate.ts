/**
 * `xiaozhi-ota-proxy validate`: checks the configuration and the firmware catalog offline, with the
 * same code the proxy loads them with (runtime/config-file.ts, runtime/catalog-store.ts): no upstream
 * is contacted, nothing listens. Every problem is printed with its `file:line:col`; a catalog entry
 * the proxy would skip (a bad image, a wrong sha256, a missing file) is a problem too.
 */
import { isAbsolute, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError } from '../errors.js';
import type { ConfigIssue } from '../errors.js';
import { CATALOG_FILE, createCatalogStore } from './catalog-store.js';
import { loadConfigFile } from './config-file.js';

export interface ValidateIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export const VALIDATE_USAGE = `xiaozhi-ota-proxy validate — check the configuration and the firmware catalog, offline

Reads the configuration and <firmware.dir>/catalog.yaml (and inspects each entry's image) as the proxy
would at start-up, without contacting the upstream or listening. Prints every problem with
file:line:col, or one summary line when all is well.

Usage: xiaozhi-ota-proxy validate [--config <file>]

  -c, --config <file>   the proxy's configuration (default config/proxy.yaml)
  -h, --help

Exit code: 0 when both are clean, 1 when the catalog has problems (entries the proxy would skip, or a
catalog.yaml it could not use), 2 when the configuration cannot be used (or for bad arguments).
`;

/** Runs validate with `argv` (after the `validate` word); returns the exit code. */
export async function runValidateCli(
  argv: readonly string[],
  { env, stdout, stderr }: ValidateIo,
): Promise<number> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    stderr.write(`validate: ${(error as Error).message}\n\n${VALIDATE_USAGE}`);
    return 2;
  }
  if (values.help === true) {
    stdout.write(VALIDATE_USAGE);
    return 0;
  }
  const configPath = values.config ?? 'config/proxy.yaml';
  // In file order, as a user reads them; problems without a position last.
  const problems = (issues: readonly ConfigIssue[]): void => {
    const order = (i: ConfigIssue): number => (i.line === 0 ? Number.MAX_SAFE_INTEGER : i.line * 1e6 + i.col);
    for (const issue of [...issues].sort((a, b) => order(a) - order(b))) stdout.write(`${issue.message}\n`);
  };

  let config;
  try {
    config = await loadConfigFile(configPath, { env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems(error.issues);
    stdout.write(
      `${configPath}: ${count(error.issues.length, 'problem')}; the proxy would not start with it\n`,
    );
    return 2;
  }

  const dir = config.firmware.dir;
  if (dir === null) {
    stdout.write(`${configPath} is valid; no firmware.dir, so no catalog to check\n`);
    return 0;
  }
  const catalogFile = shown(join(dir, CATALOG_FILE));
  const store = createCatalogStore({ dir, env, logger: pino({ level: 'silent' }) });
  try {
    const load = await store.load();
    problems(load.issues);
    if (!load.ok) {
      stdout.write(`${catalogFile} cannot be used; the proxy would not start with it\n`);
      return 1;
    }
    const entries = store.current()?.entries.length ?? 0;
    if (load.issues.length > 0) {
      const skipped = count(load.issues.length, 'problem');
      stdout.write(
        `${configPath} is valid; ${catalogFile}: ${count(entries, 'entry', 'entries')} in use, ${skipped}\n`,
      );
      return 1;
    }
    const all = entries === 0 ? 'no entries' : `${count(entries, 'entry', 'entries')}, all valid`;
    stdout.write(`${configPath} is valid; ${catalogFile}: ${all}\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** A path relative to the working directory when it is inside it, else as it is. */
function shown(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside.startsWith('..') || isAbsolute(inside) ? path : inside;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
