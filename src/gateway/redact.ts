/**
 * Hides secrets in what operators see (/admin/exchanges, /admin/explain, doctor, log lines): tokens, passwords
 * and other secret-named values in bodies and URLs.
 *
 * Keys are compared as the device reads them: JSON escapes decoded (`"tok\u0065n"` is `token`), ASCII case
 * folded and cut at a NUL (rewrite/folded-json.ts `foldKey`). A secret member's whole value goes, whatever
 * its type (a number or an object under `token` too); an empty one stays visible, since it tells the operator
 * the device got nothing. A JSON body keeps its bytes otherwise (a `330.0` stays as sent). A body that is not
 * JSON (truncated, HTML, a stack trace) gets the same scan plus a conservative text pass over `name: value`
 * and `name=value` pairs. Every scan is a loop, never a recursion, so no nesting depth can make it throw.
 */
import { foldKey } from '../rewrite/folded-json.js';
import type { JsonObject, JsonValue } from '../rewrite/types.js';

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/** Words that make a key or parameter name a secret wherever they stand in it (`api_key`, `x-auth-token`). */
const SECRET_WORDS = new Set([
  'token',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'key',
  'apikey',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'signature',
  'sig',
  'cookie',
  'session',
  'sessionid',
  'jwt',
  'bearer',
]);

/** Endings that make a run-together name a secret (`accessToken`, `clientSecret`, `X-Amz-Signature`). */
const SECRET_ENDINGS = [
  'token',
  'password',
  'passwd',
  'secret',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'signature',
  'credential',
  'credentials',
  'sessionid',
];

/** isSecretName's memory: bounded, because names come from the upstream and from devices. */
const MAX_REMEMBERED_NAMES = 1024;
const secretNames = new Map<string, boolean>();

/** Whether a key or parameter name names a secret, read as the device reads keys (`foldKey`). */
export function isSecretName(name: string): boolean {
  const remembered = secretNames.get(name);
  if (remembered !== undefined) return remembered;
  const words = foldKey(name)
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  const joined = words.join('');
  const secret =
    words.some((word) => SECRET_WORDS.has(word)) ||
    (joined !== '' &&
      (joined.startsWith('auth') || SECRET_ENDINGS.some((ending) => joined.endsWith(ending))));
  if (secretNames.size < MAX_REMEMBERED_NAMES && name.length <= 64) secretNames.set(name, secret);
  return secret;
}

/**
 * Redacts a body shown as text: every secret member of its JSON (any depth, any value type, keys as the
 * device reads them), secret parameters and passwords of the URLs in its strings, and — when the text is
 * not JSON — secret-named `name: value` / `name=value` pairs anywhere.
 */
export function redactSecrets(text: string): string {
  const scanned = redactJsonText(text);
  return isJsonText(text) ? scanned : redactLooseText(scanned);
}

/**
 * Redacts a URL, a request target or a query string: values of parameters named like secrets (`?token=…`,
 * `&api_key=…`, `#access_token=…`, names percent-decoded) and the password of `scheme://user:password@host`.
 */
export function redactUrl(url: string): string {
  if (!/[?#;@=]/.test(url)) return url;
  return url.replace(USER_INFO, userInfoReplacer).replace(URL_PARAM, paramReplacer);
}

/** Parameters of a query or fragment (`?a=1&b=2;c=3#d=4`), or a bare `a=1&b=2`. */
const URL_PARAM = /(^|[?&;#])([^=&;#?\s]*)=([^&;#\s]*)/g;
/** The same in free text, where a quote or bracket also ends a value. */
const TEXT_PARAM = /(^|[?&;#])([^=&;#?\s"'<>{}[\]]*)=([^&;#\s"'<>{}[\]]*)/g;
/** The password of a URL's user info: `ws://user:password@host`. */
const USER_INFO = /((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^/?#@\s:"']*:)([^/?#@\s"']+)(@)/gi;

function paramReplacer(match: string, sep: string, name: string, value: string): string {
  return value !== '' && isSecretName(percentDecoded(name)) ? `${sep}${name}=${REDACTED}` : match;
}

function userInfoReplacer(_match: string, head: string, _password: string, at: string): string {
  return `${head}${REDACTED}${at}`;
}

/** Depth past which `redactJson` stops looking and hides the rest (parsed replies nest at most 64 levels). */
const MAX_REDACT_DEPTH = 256;

/** A copy of a parsed value with every secret member replaced (any depth, any type) and URLs in strings redacted. */
export function redactJson(value: JsonValue): JsonValue {
  return redactValue(value, 0);
}

function redactValue(value: JsonValue, depth: number): JsonValue {
  if (typeof value === 'string') return redactUrl(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_REDACT_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    // Defined, not assigned: a `__proto__` member stays a member.
    Object.defineProperty(out, key, {
      value: isSecretName(key) && holdsSomething(v) ? REDACTED : redactValue(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Whether a secret member's value could carry a secret (`""`, `null`, booleans, `{}` and `[]` cannot). */
function holdsSomething(value: JsonValue): boolean {
  if (value === null || typeof value === 'boolean') return false;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  return typeof value === 'number' || Object.keys(value).length > 0;
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * One pass over JSON-like text, byte for byte except what it redacts. A string followed by `:` is a key;
 * a secret key's value (string, number, literal, object or array — to its matching end, or the end of the
 * text when cut) becomes `"[redacted]"`. Other strings get `redactUrl`, or the whole treatment when they
 * hold JSON themselves (an error shape that quotes a reply). Tolerates anything that is not JSON.
 */
function redactJsonText(text: string): string {
  let out = '';
  let copied = 0;
  const n = text.length;
  let pos = text.indexOf('"');
  while (pos >= 0 && pos < n) {
    const { end, closed } = scanString(text, pos);
    const inner = text.slice(pos + 1, closed ? end - 1 : end);
    const after = skipWhitespace(text, end);
    let next = end;
    if (text.charCodeAt(after) === COLON) {
      if (isSecretName(unescapeJson(inner))) {
        const start = skipWhitespace(text, after + 1);
        next = valueEndAt(text, start);
        if (!holdsNothing(text.slice(start, next))) {
          out += `${text.slice(copied, start)}"${REDACTED}"`;
          copied = next;
        }
      }
    } else if (MAY_HIDE_SECRETS.test(inner)) {
      const decoded = unescapeJson(inner);
      const redacted = holdsJson(decoded) ? redactSecrets(decoded) : redactUrl(decoded);
      if (redacted !== decoded) {
        out += `${text.slice(copied, pos)}${JSON.stringify(redacted)}`;
        copied = end;
      }
    }
    pos = text.indexOf('"', next);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** A string value that could hold a secret: a URL's parameters or user info, or quoted JSON. */
const MAY_HIDE_SECRETS = /[?#;@=]|^\s*[{[]/;

/** Whether a string's content is a JSON object or array itself. */
function holdsJson(text: string): boolean {
  const first = text.trimStart().charAt(0);
  return (first === '{' || first === '[') && isJsonText(text);
}

/** Where the string starting at `start` (a `"`) ends: after its closing quote, or at the text's end if cut. */
function scanString(text: string, start: number): { end: number; closed: boolean } {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return { end: text.length, closed: false };
    // Escaped when an odd number of backslashes precede it.
    let slash = quote - 1;
    while (slash > start && text.charCodeAt(slash) === BACKSLASH) slash--;
    if ((quote - 1 - slash) % 2 === 0) return { end: quote + 1, closed: true };
    from = quote + 1;
  }
}

function skipWhitespace(text: string, from: number): number {
  let pos = from;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    pos++;
  }
  return pos;
}

/**
 * The end of the value starting at `start`: a string to its closing quote; an object or array to its
 * matching bracket (counted, strings skipped — no recursion); anything else up to `,` `}` `]` or a line end.
 * A value cut off by the text's end runs to the end.
 */
function valueEndAt(text: string, start: number): number {
  const n = text.length;
  if (start >= n) return n;
  const first = text.charAt(start);
  if (first === '"') return scanString(text, start).end;
  if (first === '{' || first === '[') {
    let depth = 0;
    let pos = start;
    while (pos < n) {
      const c = text.charAt(pos);
      if (c === '"') {
        pos = scanString(text, pos).end;
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return pos + 1;
      }
      pos++;
    }
    return n;
  }
  let pos = start;
  while (pos < n && !',}]\r\n'.includes(text.charAt(pos))) pos++;
  while (pos > start && /\s/.test(text.charAt(pos - 1))) pos--;
  return pos;
}

/** A raw value that carries no secret: `""`, `null`, `true`, `false`, `{}`, `[]` (or nothing at all). */
function holdsNothing(raw: string): boolean {
  return /^(?:""|null|true|false|\{\s*\}|\[\s*\]|)$/.test(raw.trim());
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** A JSON string's content with its escapes decoded, leniently: an invalid escape stays as written. */
function unescapeJson(inner: string): string {
  if (!inner.includes('\\')) return inner;
  return inner.replace(/\\(u[0-9a-fA-F]{4}|.)/gs, (match, escape: string) => {
    if (escape.length === 5) return String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return ESCAPES[escape] ?? match;
  });
}

function percentDecoded(name: string): string {
  return name
    .replace(/\+/g, ' ')
    .replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * `name: value` and `name=value` pairs in text that is not JSON (form bodies, queries, YAML, Python dicts,
 * headers echoed in an error page). The name may be quoted and escaped; the value runs to its closing quote,
 * over one level of brackets, or to the next separator; an auth scheme before it (`Bearer …`) stays visible.
 */
const LOOSE_PAIR =
  /(?<![A-Za-z0-9_.%\\-])(["']?)(?=((?:[A-Za-z0-9_.-]|\\u[0-9a-fA-F]{4}|%[0-9a-fA-F]{2})+))\2\1([ \t]*[:=][ \t]*)((?:bearer|basic|token|digest)[ \t]+)?("(?:[^"\\\r\n]|\\.)*"?|'(?:[^'\\\r\n]|\\.)*'?|\{[^{}]*\}?|\[[^[\]]*\]?|[^\s,;&}\]<>"']+)/gi;

function redactLooseText(text: string): string {
  return text
    .replace(
      LOOSE_PAIR,
      (match, quote: string, name: string, sep: string, scheme: string | undefined, value: string) => {
        if (holdsNothing(value) || value === "''" || !isSecretName(percentDecoded(unescapeJson(name))))
          return match;
        const shown = value.startsWith('"')
          ? `"${REDACTED}"`
          : value.startsWith("'")
            ? `'${REDACTED}'`
            : REDACTED;
        return `${quote}${name}${quote}${sep}${scheme ?? ''}${shown}`;
      },
    )
    .replace(TEXT_PARAM, paramReplacer)
    .replace(USER_INFO, userInfoReplacer);
}
