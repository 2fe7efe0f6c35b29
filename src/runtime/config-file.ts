/** Loading the configuration file: the I/O around the pure parseConfig (config/parse.ts). */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { parseConfig } from '../config/parse.js';
import type { Env } from '../config/interpolate.js';
import { ConfigError } from '../errors.js';

export interface LoadConfigOptions {
  /** Variables for `${VAR}` in the file; default `process.env`. */
  readonly env?: Env;
  /**
   * A file holding only blank lines and comments is an error (a reload: an editor's save caught half-way,
   * truncate then write, not a wish to run on every default). Judged on the same bytes that are parsed.
   */
  readonly refuseEmpty?: boolean;
}

/** Whether a config text holds nothing but blank lines and comments. */
export function holdsNoSettings(text: string): boolean {
  return text.split('\n').every((line) => /^\s*(#.*)?$/.test(line));
}

/** This machine's interface addresses, for the loop check (docs/configuration.md "More load-time checks"). */
function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((info) => info.address));
}

/**
 * Reads and parses the configuration at `path` (relative to the working directory). Throws
 * ConfigError: CONFIG_UNREADABLE when the file cannot be read, CONFIG_INVALID when it is not valid.
 */
export async function loadConfigFile(
  path: string,
  { env = process.env, refuseEmpty = false }: LoadConfigOptions = {},
): Promise<Config> {
  const file = resolve(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError(
      [
        {
          path: '',
          message: `cannot read the configuration file ${path} (${reason})`,
          file: path,
          line: 0,
          col: 0,
        },
      ],
      {
        code: 'CONFIG_UNREADABLE',
        cause,
      },
    );
  }
  let text: string;
  try {
    // Fatal decoding: a config that is not UTF-8 would otherwise load with U+FFFD silently in it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ConfigError(
      [
        {
          path: '',
          message: `the configuration file ${path} is not UTF-8 text`,
          file: path,
          line: 0,
          col: 0,
        },
      ],
      { cause },
    );
  }
  if (refuseEmpty && holdsNoSettings(text)) {
    throw new ConfigError([{ path: '', message: `${path} is empty`, file: path, line: 0, col: 0 }]);
  }
  return parseConfig(text, { file, displayFile: path, env, localAddresses: localAddresses() });
}
