/**
 * URL templates for `rewrite.to`, `websocket.url` and catalog URLs (docs/configuration.md "Templates").
 * Braces are reserved: every `{` opens one of `{host}`, `{port}`, `{scheme}`, and a brace anywhere
 * else is an error rather than literal text, so a typo such as `{hots}` or `{host` never reaches a
 * device. A URL that really needs a brace writes it percent-encoded (`%7B`, `%7D`).
 */
import type { Origin, Template, TemplatePart } from './types.js';

const VARIABLES = ['host', 'port', 'scheme'] as const;
type Variable = (typeof VARIABLES)[number];

function isVariable(name: string): name is Variable {
  return (VARIABLES as readonly string[]).includes(name);
}

/** Parses a template; returns what is wrong as a string (an unknown `{name}`, an unmatched brace). */
export function parseTemplate(text: string): Template | string {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '}')
      return `a \`}\` without its \`{\` at character ${i + 1} (write %7D for a literal brace)`;
    if (char !== '{') {
      literal += char;
      i++;
      continue;
    }
    const close = text.indexOf('}', i);
    const nextOpen = text.indexOf('{', i + 1);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      return `a \`{\` without its \`}\` at character ${i + 1} (write %7B for a literal brace)`;
    }
    const name = text.slice(i + 1, close);
    if (!isVariable(name)) return `unknown variable \`{${name}}\` (use {host}, {port} or {scheme})`;
    if (literal !== '') parts.push({ kind: 'text', text: literal });
    literal = '';
    parts.push({ kind: 'var', name });
    i = close + 1;
  }
  if (literal !== '') parts.push({ kind: 'text', text: literal });
  return { source: text, parts };
}

/**
 * Renders a template for one request's origin. `{scheme}` is `ws`/`wss` in a websocket URL and
 * `http`/`https` elsewhere; `{host}` carries no port (IPv6 stays bracketed); `{port}` is the origin's port.
 */
export function renderTemplate(t: Template, origin: Origin, flavour: 'http' | 'ws'): string {
  let out = '';
  for (const part of t.parts) {
    switch (part.kind) {
      case 'text':
        out += part.text;
        break;
      case 'var':
        out += renderVariable(part.name, origin, flavour);
        break;
      default: {
        const never: never = part;
        return never;
      }
    }
  }
  return out;
}

function renderVariable(name: Variable, origin: Origin, flavour: 'http' | 'ws'): string {
  switch (name) {
    case 'host':
      // Origin.host is bracketed already; an unbracketed IPv6 host is bracketed here so the URL stays valid.
      return origin.host.includes(':') && !origin.host.startsWith('[') ? `[${origin.host}]` : origin.host;
    case 'port':
      return String(origin.port);
    case 'scheme':
      if (flavour === 'http') return origin.scheme;
      return origin.scheme === 'https' ? 'wss' : 'ws';
    default: {
      const never: never = name;
      return never;
    }
  }
}
