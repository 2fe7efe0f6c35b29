/**
 * `${VAR}` / `${VAR:-default}` substitution inside one YAML scalar (docs/configuration.md "The file"). The same
 * rules as docker compose: `:-` also applies when the variable is set but empty, `$$` is a literal `$`,
 * a `$` not followed by `{` or `$` is literal, and there is no nesting.
 */

/** The environment variables are read from (`process.env` at the I/O edge). */
export type Env = Readonly<Record<string, string | undefined>>;

/** What went wrong in one reference; `index` is the position of its `$` in the scalar's text. */
export type InterpolationProblem =
  | { readonly kind: 'unset'; readonly name: string; readonly index: number }
  | { readonly kind: 'malformed'; readonly reference: string; readonly index: number }
  | { readonly kind: 'unterminated'; readonly index: number }
  | { readonly kind: 'nested'; readonly name: string; readonly index: number };

export interface Interpolation {
  readonly value: string;
  /** The text was exactly one well-formed `${…}` and nothing else (an unquoted one is re-read as YAML). */
  readonly whole: boolean;
  readonly problems: readonly InterpolationProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces every reference in `text`; an unset variable without a default is a problem and renders as empty. */
export function interpolate(text: string, env: Env): Interpolation {
  if (!text.includes('$')) return { value: text, whole: false, problems: [] };
  const problems: InterpolationProblem[] = [];
  let value = '';
  let references = 0;
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    const next = text[i + 1];
    if (char !== '$' || (next !== '$' && next !== '{')) {
      value += char;
      i++;
      continue;
    }
    if (next === '$') {
      value += '$';
      i += 2;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      problems.push({ kind: 'unterminated', index: i });
      value += text.slice(i);
      break;
    }
    references++;
    const body = text.slice(i + 2, close);
    const resolved = resolveReference(body, env, i);
    if (typeof resolved === 'string') value += resolved;
    else problems.push(resolved);
    i = close + 1;
  }
  const whole =
    references === 1 &&
    problems.length === 0 &&
    text.startsWith('${') &&
    text.indexOf('}') === text.length - 1;
  return { value, whole, problems };
}

function resolveReference(body: string, env: Env, index: number): string | InterpolationProblem {
  const separator = body.indexOf(':-');
  const name = separator < 0 ? body : body.slice(0, separator);
  if (!NAME.test(name)) return { kind: 'malformed', reference: `\${${body}}`, index };
  const set = env[name];
  if (separator < 0) return set ?? { kind: 'unset', name, index };
  const fallback = body.slice(separator + 2);
  // `${A:-${B}}` would end at the first `}`; refuse it instead of producing `${B` silently.
  if (fallback.includes('${')) return { kind: 'nested', name, index };
  return set === undefined || set === '' ? fallback : set;
}

/** What a problem means, for a message about `where` (`` `upstream.url` ``, or `the document`). */
export function describeProblem(where: string, problem: InterpolationProblem): string {
  switch (problem.kind) {
    case 'unset':
      return `${where} uses \${${problem.name}} but ${problem.name} is not set (give a default with \${${problem.name}:-value})`;
    case 'malformed':
      return `${where} has a malformed reference ${problem.reference} (write \${NAME} or \${NAME:-default}, $$ for a literal $)`;
    case 'unterminated':
      return `${where} has a \${ without its closing } (write $$ for a literal $)`;
    case 'nested':
      return `${where} nests a reference inside the default of \${${problem.name}:-…}, which is not supported`;
    default: {
      const never: never = problem;
      return never;
    }
  }
}
