/**
 * The `when:`-list sections of the configuration: `rewrite`, `websocket`, `mqtt`, `server_time`
 * (docs/configuration.md "Conditions: `when:` lists", "Templates", "Rules, in order"). Each item's keys
 * are definitions (key-definitions.ts); the list rules (a single item, a catch-all only last) are code.
 */
import type { Condition } from '../match/types.js';
import { isCatchAll, WHEN } from './conditions.js';
import { keysSchema, oneOrMany, orVariable } from './json-schema.js';
import { int, oneOf, optional, orNull, parsed, readKeys, readValue, text } from './key-definitions.js';
import type { JsonSchema, Keys, KeysRead, LeafDef, Values } from './key-definitions.js';
import { parseTemplate, renderTemplate } from './template.js';
import type {
  MqttItem,
  MqttMode,
  RewriteRule,
  ServerTimeItem,
  Template,
  TimeZoneSetting,
  WebsocketItem,
} from './types.js';
import type { Converted, Field, YamlReader } from './yaml-source.js';

/** A websocket/mqtt string member of 4000 bytes or more aborts the device (docs/device-contract.md §3). */
const MAX_DEVICE_STRING_BYTES = 3999;

/** UTC offsets that exist: −12:00 to +14:00. */
const MIN_OFFSET_MINUTES = -720;
const MAX_OFFSET_MINUTES = 840;

const MQTT_MODES: readonly MqttMode[] = ['keep', 'strip'];

/** Sample origins a template is rendered with at load time, to check what it renders to. */
const SAMPLE_ORIGINS = [
  { scheme: 'http', host: 'device-facing.example', port: 8003 },
  { scheme: 'https', host: '[2001:db8::1]', port: 443 },
] as const;

/**
 * A template that renders to an absolute URL with one of `schemes`: the text starts with `<scheme>://`
 * or `{scheme}://`, and every rendering parses as a URL.
 */
function urlTemplate(doc: string, flavour: 'http' | 'ws', schemes: readonly string[]): LeafDef<Template> {
  const allowed = schemes.map((s) => `${s}://`).join(', ');
  const parse = (text: string): Converted<Template> => {
    const template = parseTemplate(text);
    if (typeof template === 'string') return template;
    const prefix = /^([a-z][a-z0-9+.-]*):\/\//.exec(text)?.[1];
    if (!text.startsWith('{scheme}://') && (prefix === undefined || !schemes.includes(prefix))) {
      return flavour === 'ws' ? 'devices only connect to ws:// or wss:// voice URLs' : null;
    }
    for (const origin of SAMPLE_ORIGINS) {
      const rendered = renderTemplate(template, origin, flavour);
      if (!URL.canParse(rendered)) return `it renders to ${JSON.stringify(rendered)}, which is not a URL`;
    }
    // The device splits host and path at the last `:` when no port follows the host (docs/device-contract.md §3).
    const rest = text.slice(text.indexOf('://') + 3);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    if (flavour === 'ws' && path.includes(':') && !/:(\d+|\{port\})$/.test(authority)) {
      return 'a path holding `:` needs an explicit port after the host';
    }
    return { value: template };
  };
  return parsed({ doc, expected: `a URL template starting with ${allowed} or {scheme}://`, parse });
}

/** A time zone Intl knows; its canonical spelling when that is only a matter of case (`europe/berlin`). */
function parseZone(text: string): Converted<TimeZoneSetting> {
  if (text === 'upstream') return { value: { kind: 'upstream' } };
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    return 'this runtime does not know that zone';
  }
  // ICU may canonicalise to another zone (`EST` → America/Panama); keep the user's name then.
  const name = resolved.toLowerCase() === text.toLowerCase() ? resolved : text;
  return { value: { kind: 'zone', name } };
}

const REWRITE_RULE = {
  from: parsed({
    doc: 'A URL prefix the upstream hands out, such as http://172.21.0.5:8003/',
    expected: 'an absolute http://, https://, ws:// or wss:// URL prefix',
    parse: (text) => {
      if (!/^(https?|wss?):\/\/[^\s/?#]+/.test(text) || !URL.canParse(text)) return null;
      if (/\s/.test(text)) return 'it contains white space';
      return { value: text };
    },
  }),
  to: urlTemplate('What replaces the prefix: a URL template with {host}, {port}, {scheme}', 'http', [
    'http',
    'https',
    'ws',
    'wss',
  ]),
  when: WHEN,
};

const WEBSOCKET_ITEM = {
  when: WHEN,
  url: urlTemplate('The voice URL devices get: ws(s)://, with {host}, {port}, {scheme}', 'ws', ['ws', 'wss']),
  token: orNull(
    text({
      doc: 'Sent only when the proxy creates the section (no upstream one), and in the fallback',
      default: null,
      accept: (t) =>
        new TextEncoder().encode(t).length > MAX_DEVICE_STRING_BYTES
          ? 'it must be under 4000 bytes: a longer one aborts the device (docs/device-contract.md §3)'
          : { value: t },
    }),
  ),
};

const MQTT_MODE = oneOf(MQTT_MODES, { doc: "keep: leave the upstream's mqtt section; strip: delete it" });
const MQTT_ITEM = { when: WHEN, mode: MQTT_MODE };

const SERVER_TIME_ITEM = {
  when: WHEN,
  timezone: optional(
    parsed({
      doc: "upstream (keep the upstream's clock and offset), or an IANA time zone such as Europe/Berlin",
      expected: '`upstream` or an IANA time zone such as Europe/Berlin',
      parse: parseZone,
    }),
  ),
  offset_minutes: optional(
    int({ doc: 'A fixed UTC offset in minutes', min: MIN_OFFSET_MINUTES, max: MAX_OFFSET_MINUTES }),
  ),
};

/** One item of a `when:` list: a mapping of `keys`; anything else is refused with `expected` (e.g. a bare URL). */
function readItem<K extends Keys>(
  r: YamlReader,
  item: Field,
  keys: K,
  expected: string,
): KeysRead<K> | undefined {
  const kind = r.kind(item);
  if (kind === 'failed') return undefined;
  return kind === 'map' ? readKeys(r, item, keys) : r.fail(item, expected);
}

/** The item's values when every key is usable. */
function usable<K extends Keys>(read: KeysRead<K> | undefined): Values<K> | undefined {
  return read?.ok === true ? read.values : undefined;
}

/**
 * Reads a `when:` list: one item, or a list of them when `single` allows it; each through `read`.
 * Outside `rewrite` an item without `when` matches every device, so only the last may lack one.
 */
function readWhenList<T extends { readonly when: Condition }>(
  r: YamlReader,
  field: Field,
  {
    single,
    catchAllLast,
    read,
  }: { single: boolean; catchAllLast: boolean; read: (item: Field) => T | undefined },
): T[] | undefined {
  const items = r.list(field, { single, nonEmpty: single });
  if (items === undefined) return undefined;
  const values = items.map(read);
  if (catchAllLast) {
    values.forEach((value, i) => {
      const item = items[i];
      if (value === undefined || item === undefined || i === values.length - 1 || !isCatchAll(value.when))
        return;
      r.issue(
        item,
        `\`${item.path}\` has no \`when\`, so it matches every device and the items after it never apply: move it to the end`,
      );
    });
  }
  return values.every((v): v is T => v !== undefined) ? values : undefined;
}

/** `rewrite`: a list of `{from, to, when?}`; every matching rule applies, in order. */
export function readRewrite(r: YamlReader, field: Field): RewriteRule[] | undefined {
  const expected = 'a rule such as {from: http://172.21.0.5:8003/, to: http://{host}:8003/}';
  return readWhenList(r, field, {
    single: false,
    catchAllLast: false,
    read: (item) => usable(readItem(r, item, REWRITE_RULE, expected)),
  });
}

/** `websocket`: `null`, one `{when?, url, token?}` or a list of them. */
export function readWebsocket(r: YamlReader, field: Field): WebsocketItem[] | null | undefined {
  const expected = 'an item such as {url: ws://{host}:8000/xiaozhi/v1/}, or a list of them';
  return r.kind(field) === 'null' || r.kind(field) === 'absent'
    ? null
    : readWhenList(r, field, {
        single: true,
        catchAllLast: true,
        read: (item) => usable(readItem(r, item, WEBSOCKET_ITEM, expected)),
      });
}

/** `mqtt`: `keep`, `strip`, one `{when?, mode}` or a list of those (a bare mode in a list is an item without `when`). */
export function readMqtt(r: YamlReader, field: Field): MqttItem[] | undefined {
  const expected = '`keep`, `strip`, an item such as {when: …, mode: strip}, or a list of them';
  return readWhenList(r, field, {
    single: true,
    catchAllLast: true,
    read(item) {
      const kind = r.kind(item);
      if (kind !== 'scalar' && kind !== 'null' && kind !== 'failed')
        return usable(readItem(r, item, MQTT_ITEM, expected));
      const mode = readValue(r, item, MQTT_MODE);
      return mode === undefined ? undefined : { when: {}, mode };
    },
  });
}

/** `server_time`: one `{when?, timezone}` / `{when?, offset_minutes}` or a list of them. */
export function readServerTime(r: YamlReader, field: Field): ServerTimeItem[] | undefined {
  return readWhenList(r, field, {
    single: true,
    catchAllLast: true,
    read(item) {
      const expected = 'an item such as {timezone: Europe/Berlin}, or a list of them';
      const read = readItem(r, item, SERVER_TIME_ITEM, expected);
      if (read === undefined) return undefined;
      const given = ['timezone', 'offset_minutes'].filter(
        (key) => read.at(`${item.path}.${key}`).field.fromFile,
      );
      if (given.length !== 1) {
        const which = given.length === 2 ? 'only one of' : 'one of';
        r.issue(item, `\`${item.path}\` needs ${which} \`timezone\` and \`offset_minutes\``);
        return undefined;
      }
      const values = usable(read);
      if (values === undefined) return undefined;
      const { when, timezone, offset_minutes: offsetMinutes } = values;
      const zone: TimeZoneSetting | undefined =
        timezone ?? (offsetMinutes === undefined ? undefined : { kind: 'fixed', offsetMinutes });
      return zone === undefined ? undefined : { when, zone };
    },
  });
}

/** An item, or a list of items when `single` allows one alone. */
function listSchema(item: JsonSchema, { single }: { single: boolean }): JsonSchema {
  return single ? oneOrMany(item) : { type: 'array', items: item };
}

export const REWRITE_SCHEMA = listSchema(keysSchema(REWRITE_RULE, { nullable: false }), { single: false });
export const WEBSOCKET_SCHEMA: JsonSchema = {
  anyOf: [{ type: 'null' }, listSchema(keysSchema(WEBSOCKET_ITEM, { nullable: false }), { single: true })],
};
export const MQTT_SCHEMA = listSchema(
  { anyOf: [orVariable({ enum: MQTT_MODES }), keysSchema(MQTT_ITEM, { nullable: false })] },
  { single: true },
);
export const SERVER_TIME_SCHEMA = listSchema(
  {
    ...keysSchema(SERVER_TIME_ITEM, { nullable: false }),
    oneOf: [{ required: ['timezone'] }, { required: ['offset_minutes'] }],
  },
  { single: true },
);
