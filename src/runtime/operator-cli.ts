/**
 * `xiaozhi-ota-proxy firmware|rollout|fleet …`: the operator's commands on the files and the fleet store
 * directly, no running proxy needed (docs/fleet.md "CLI"). They call the same service layer as the API and
 * the console (src/operations/), audited as `cli`; `--json` prints the API's shapes. cli.ts hands in the
 * process's streams and environment; nothing here touches `process`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Config } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { FleetService } from '../fleet/service.js';
import { openStore } from '../fleet/store/open-store.js';
import type { Language } from '../i18n/languages.js';
import { parseLanguageTag } from '../i18n/languages.js';
import { t } from '../i18n/translate.js';
import { OperationError, badRequest } from '../operations/errors.js';
import { createOperations, type Actor, type EntryRef, type Operations } from '../operations/operations.js';
import { createCatalogStore, type CatalogStore } from './catalog-store.js';
import { loadConfigFile } from './config-file.js';
import {
  auditTable,
  catalogTable,
  deviceDetail,
  devicePage,
  rolloutLine,
  unblockLine,
  uploadLine,
} from './operator-output.js';

export interface OperatorCliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** The locale's language; `--lang` overrides it. */
  readonly lang: Language;
  /** For "seen 5 min ago". */
  readonly now?: () => number;
}

export const OPERATOR_COMMANDS = ['firmware', 'rollout', 'fleet'] as const;

const CLI: Actor = { means: 'cli', address: null };

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  lang: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // firmware add
  board: { type: 'string' },
  rollout: { type: 'string' },
  devices: { type: 'string', multiple: true },
  'min-version': { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  // rollout halt
  reason: { type: 'string' },
  // fleet ls
  version: { type: 'string' },
  chip: { type: 'string' },
  q: { type: 'string' },
  'seen-within': { type: 'string' },
  state: { type: 'string' },
  blocked: { type: 'string' },
  sort: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Which options each command takes (anything else is a mistake worth saying). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'firmware add': ['board', 'rollout', 'devices', 'min-version', 'force', 'dry-run'],
  'firmware ls': [],
  'rollout halt': ['reason'],
  'rollout resume': [],
  'fleet ls': ['board', 'version', 'chip', 'q', 'seen-within', 'state', 'blocked', 'sort', 'limit', 'cursor'],
  'fleet show': [],
  'fleet unblock': [],
  'fleet audit': [],
};
const COMMON = ['config', 'json', 'lang', 'help'];

/** Runs one command (`argv` starts with `firmware`, `rollout` or `fleet`); returns the exit code. */
export async function runOperatorCli(argv: readonly string[], io: OperatorCliIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${t(io.lang, 'ops.usage')}`);
    return 2;
  }
  const lang = values.lang === undefined ? io.lang : parseLanguageTag(values.lang);
  if (lang === null) {
    io.stderr.write(`${t(io.lang, 'cli.bad-language', { value: values.lang ?? '' })}\n`);
    return 2;
  }
  const [group = '', verb = '', ...args] = positionals;
  const command = `${group} ${verb}`;
  if (values.help === true || verb === 'help') {
    io.stdout.write(t(lang, 'ops.usage'));
    return 0;
  }
  const allowed = ALLOWED[command];
  if (allowed === undefined) {
    io.stderr.write(
      `${verb === '' ? `${group}: a command is missing` : `unknown command "${command}"`}\n\n${t(lang, 'ops.usage')}`,
    );
    return 2;
  }
  for (const name of Object.keys(values))
    if (!COMMON.includes(name) && !allowed.includes(name)) {
      io.stderr.write(`${command} does not take --${name}\n\n${t(lang, 'ops.usage')}`);
      return 2;
    }

  let config: Config;
  try {
    config = await loadConfigFile(values.config ?? 'config/proxy.yaml', { env: io.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(
      `the configuration cannot be used:\n${error.issues.map((i) => `  - ${i.message}\n`).join('')}`,
    );
    return 2;
  }

  const needsFleet = group === 'fleet' || group === 'rollout';
  const session = await openSession(config, io, needsFleet);
  if (typeof session === 'string') {
    io.stderr.write(`${t(lang, 'ops.error', { message: session })}\n`);
    return needsFleet ? 1 : 2;
  }
  try {
    const out = await run(command, args, values, session.operations, io.now?.() ?? Date.now());
    io.stdout.write(values.json === true ? `${JSON.stringify(out.json, null, 2)}\n` : out.text);
    return 0;
  } catch (error) {
    if (error instanceof OperationError) {
      io.stderr.write(`${t(lang, 'ops.error', { message: error.message })}\n`);
      return error.operationCode === 'BAD_REQUEST' ? 2 : 1;
    }
    throw error;
  } finally {
    await session.close();
  }
}

interface Session {
  readonly operations: Operations;
  close(): Promise<void>;
}

/** The catalog and the fleet store the configuration names, opened for one command. */
async function openSession(
  config: Config,
  io: OperatorCliIo,
  needsFleet: boolean,
): Promise<Session | string> {
  // The service's log lines would only repeat what the command prints.
  const logger = pino({ level: 'silent' });
  let catalog: CatalogStore | null = null;
  if (config.firmware.dir !== null) {
    catalog = createCatalogStore({ dir: config.firmware.dir, env: io.env, logger });
    await catalog.load();
  }
  let fleet: FleetService | null = null;
  const { enabled, store } = config.fleet;
  if (enabled && store.kind !== 'memory') {
    fleet = new FleetService({
      settings: config.fleet,
      requireToken: config.firmware.requireToken,
      store: openStore(store),
      replica: 'cli',
    });
    await fleet.sync();
    if (fleet.health() !== 'ok') {
      await fleet.close().catch(() => undefined);
      catalog?.close();
      return `the fleet store (${store.kind === 'sqlite' ? store.path : 'PostgreSQL'}) cannot be used right now; nothing was done`;
    }
  } else if (needsFleet) {
    catalog?.close();
    return enabled
      ? 'fleet.store is memory: it lives inside the running proxy only, so the CLI cannot reach it (use the admin API, or a SQLite or PostgreSQL store)'
      : 'fleet is off (fleet.enabled: false in the configuration)';
  }
  const operations = createOperations({
    config: () => config,
    env: io.env,
    catalog: () => catalog,
    fleet: () => fleet,
    logger,
  });
  return {
    operations,
    async close() {
      catalog?.close();
      await fleet?.close();
    },
  };
}

interface Output {
  readonly json: unknown;
  readonly text: string;
}

async function run(
  command: string,
  args: readonly string[],
  values: Values,
  operations: Operations,
  now: number,
): Promise<Output> {
  const exactly = (count: number, what: string): void => {
    if (args.length !== count) throw badRequest(`${command} takes ${what}`);
  };
  switch (command) {
    case 'firmware add': {
      exactly(1, 'one image file');
      const [path = ''] = args;
      let image: Buffer;
      try {
        image = await readFile(path);
      } catch (error) {
        throw badRequest(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      if (values.board === undefined)
        throw badRequest('--board is required: the board (build name or glob) the image is for');
      let rollout: number | undefined;
      if (values.rollout !== undefined) {
        rollout = Number(values.rollout);
        if (!Number.isFinite(rollout))
          throw badRequest(`--rollout must be a number from 0 to 100 (got "${values.rollout}")`);
      }
      const devices = (values.devices ?? []).flatMap((d) => d.split(/[\s,]+/)).filter((d) => d !== '');
      const result = await operations.upload(
        {
          image,
          board: values.board,
          rollout,
          devices: devices.length === 0 ? undefined : devices,
          minVersion: values['min-version'],
          force: values.force,
        },
        { dryRun: values['dry-run'] === true },
        CLI,
      );
      return { json: result, text: uploadLine(result) };
    }
    case 'firmware ls': {
      exactly(0, 'no arguments');
      const catalog = await operations.catalog();
      const rollouts = await operations.rollouts().catch((error: unknown) => {
        if (error instanceof OperationError && error.operationCode === 'FLEET_OFF') return null;
        throw error;
      });
      return { json: catalog, text: catalogTable(catalog, rollouts) };
    }
    case 'rollout halt':
    case 'rollout resume': {
      const ref = entryRef(command, args);
      const result =
        command === 'rollout halt'
          ? await operations.halt(ref, CLI, values.reason)
          : await operations.resume(ref, CLI);
      return { json: result, text: rolloutLine(command === 'rollout halt' ? 'halted' : 'resumed', result) };
    }
    case 'fleet ls': {
      exactly(0, 'no arguments, only filters');
      const params: Record<string, string> = {};
      const names: Record<string, string> = { 'seen-within': 'seen_within' };
      for (const name of ALLOWED['fleet ls'] ?? []) {
        const value = (values as Record<string, unknown>)[name];
        if (typeof value === 'string') params[names[name] ?? name] = value;
      }
      const page = await operations.listDevices(params);
      return { json: page, text: devicePage(page, now) };
    }
    case 'fleet show': {
      exactly(1, 'one device id');
      const detail = await operations.showDevice(args[0] ?? '');
      return { json: detail, text: deviceDetail(detail, now) };
    }
    case 'fleet unblock': {
      if (args.length < 1 || args.length > 2)
        throw badRequest(`${command} takes a device id and optionally an entry_id`);
      const done = await operations.unblock(args[0] ?? '', args[1] ?? null, CLI);
      return { json: done, text: unblockLine(done) };
    }
    case 'fleet audit': {
      const items = await operations.auditLog({});
      return { json: { items }, text: auditTable(items) };
    }
    default:
      throw badRequest(`unknown command "${command}"`);
  }
}

/** `<entry_id>` or `<board> <version>`. */
function entryRef(command: string, args: readonly string[]): EntryRef {
  if (args.length === 1) return { entryId: args[0] ?? '' };
  if (args.length === 2) return { board: args[0] ?? '', version: args[1] ?? '' };
  throw badRequest(`${command} takes an entry_id, or a board and a version`);
}
