/** Globs for `when.host`, `when.board` and the catalog's `board` (docs/configuration.md "Conditions"). */
import type { Glob } from './types.js';

/** Compiles a glob: `*` any run of characters, `?` exactly one, everything else literal; case-insensitive. */
export function compileGlob(text: string): Glob {
  let source = '';
  for (const char of text) {
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return { text, regex: new RegExp(`^${source}$`, 'iu') };
}

/** Whether the whole of `value` matches the glob. */
export function matchesGlob(g: Glob, value: string): boolean {
  return g.regex.test(value);
}
