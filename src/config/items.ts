/**
 * The `when:`-list sections of the configuration: `rewrite`, `websocket`, `mqtt`, `server_time`
 * (CONFIG.md "Conditions: `when:` lists", "Templates", "Rules, in order").
 */
import type {
  MqttItem,
  MqttMode,
  RewriteRule,
  ServerTimeItem,
  Template,
  TimeZoneSetting,
  WebsocketItem,
} from './types.js';
import type { Condition } from '../match/types.js';
import { parseTemplate, renderTemplate } from './template.js';
import { isCatchAll, readCondition } from './conditions.js';
import type { Converted, Field, MapView, YamlReader } from './yaml-source.js';

/** A websocket/mqtt string member of 4000 bytes or more aborts the device (device-contract.md §3). */
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
 * Reads a template and checks that it renders to an absolute URL with one of `schemes`: the text
 * must start with `<scheme>://` or `{scheme}://`, and every rendering must parse as a URL.
 */
function readUrlTemplate(
  r: YamlReader,
  field: Field,
  flavour: 'http' | 'ws',
  schemes: readonly string[],
): Template | undefined {
  const allowed = schemes.map((s) => `${s}://`).join(', ');
  const expected = `a URL template starting with ${allowed} or {scheme}://`;
  return r.parse(field, expected, (text) => {
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
    // The device splits host and path at the last `:` when no port follows the host (device-contract.md §3).
    const rest = text.slice(text.indexOf('://') + 3);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    if (flavour === 'ws' && path.includes(':') && !/:(\d+|\{port\})$/.test(authority)) {
      return 'a path holding `:` needs an explicit port after the host';
    }
    return { value: template };
  });
}

/** One item of a `when:` list: a mapping of `keys`; anything else is refused with `expected` (e.g. a bare URL). */
function readItem(
  r: YamlReader,
  item: Field,
  keys: readonly string[],
  expected: string,
): MapView | undefined {
  if (
    item.node !== undefined &&
    item.node.kind !== 'map' &&
    !(item.node.kind === 'scalar' && item.node.failed)
  ) {
    r.fail(item, expected);
    return undefined;
  }
  return r.object(item, keys);
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
  return readWhenList(r, field, {
    single: false,
    catchAllLast: false,
    read(item) {
      const view = readItem(
        r,
        item,
        ['from', 'to', 'when'],
        'a rule such as {from: http://172.21.0.5:8003/, to: http://{host}:8003/}',
      );
      if (view === undefined) return undefined;
      const from = r.parse(
        view.get('from'),
        'an absolute http://, https://, ws:// or wss:// URL prefix',
        (text) => {
          if (!/^(https?|wss?):\/\/[^\s/?#]+/.test(text) || !URL.canParse(text)) return null;
          if (/\s/.test(text)) return 'it contains white space';
          return { value: text };
        },
      );
      const to = readUrlTemplate(r, view.get('to'), 'http', ['http', 'https', 'ws', 'wss']);
      const when = readCondition(r, view.get('when'));
      if (from === undefined || to === undefined || when === undefined) return undefined;
      return { from, to, when };
    },
  });
}

/** `websocket`: `null`, one `{when?, url, token?}` or a list of them. */
export function readWebsocket(r: YamlReader, field: Field): WebsocketItem[] | null | undefined {
  return r.nullable(field, (f) =>
    readWhenList(r, f, {
      single: true,
      catchAllLast: true,
      read(item) {
        const view = readItem(
          r,
          item,
          ['when', 'url', 'token'],
          'an item such as {url: ws://{host}:8000/xiaozhi/v1/}, or a list of them',
        );
        if (view === undefined) return undefined;
        const url = readUrlTemplate(r, view.get('url'), 'ws', ['ws', 'wss']);
        const tokenField = view.get('token');
        const token = r.nullable(tokenField, (t) => r.string(t));
        if (typeof token === 'string' && new TextEncoder().encode(token).length > MAX_DEVICE_STRING_BYTES) {
          r.fail(
            tokenField,
            `a string under 4000 bytes`,
            'a longer one aborts the device (device-contract.md §3)',
          );
          return undefined;
        }
        const when = readCondition(r, view.get('when'));
        if (url === undefined || token === undefined || when === undefined) return undefined;
        return { when, url, token };
      },
    }),
  );
}

/** `mqtt`: `keep`, `strip`, one `{when?, mode}` or a list of those (a bare mode in a list is an item without `when`). */
export function readMqtt(r: YamlReader, field: Field): MqttItem[] | undefined {
  return readWhenList(r, field, {
    single: true,
    catchAllLast: true,
    read(item) {
      if (item.node?.kind === 'scalar') {
        const mode = r.oneOf(item, MQTT_MODES);
        return mode === undefined ? undefined : { when: {}, mode };
      }
      const view = readItem(
        r,
        item,
        ['when', 'mode'],
        '`keep`, `strip`, an item such as {when: …, mode: strip}, or a list of them',
      );
      if (view === undefined) return undefined;
      const mode = r.oneOf(view.get('mode'), MQTT_MODES);
      const when = readCondition(r, view.get('when'));
      if (mode === undefined || when === undefined) return undefined;
      return { when, mode };
    },
  });
}

/** A time zone Intl knows; its canonical spelling when that is only a matter of case (`europe/berlin`). */
function readZone(r: YamlReader, field: Field): TimeZoneSetting | undefined {
  return r.parse(
    field,
    '`upstream` or an IANA time zone such as Europe/Berlin',
    (text): Converted<TimeZoneSetting> => {
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
    },
  );
}

/** `server_time`: one `{when?, timezone}` / `{when?, offset_minutes}` or a list of them. */
export function readServerTime(r: YamlReader, field: Field): ServerTimeItem[] | undefined {
  return readWhenList(r, field, {
    single: true,
    catchAllLast: true,
    read(item) {
      const view = readItem(
        r,
        item,
        ['when', 'timezone', 'offset_minutes'],
        'an item such as {timezone: Europe/Berlin}, or a list of them',
      );
      if (view === undefined) return undefined;
      const when = readCondition(r, view.get('when'));
      const hasZone = view.has('timezone');
      if (hasZone === view.has('offset_minutes')) {
        const which = hasZone ? 'only one of' : 'one of';
        r.issue(item, `\`${item.path}\` needs ${which} \`timezone\` and \`offset_minutes\``);
        return undefined;
      }
      const zone: TimeZoneSetting | undefined = hasZone
        ? readZone(r, view.get('timezone'))
        : mapDefined(
            r.int(view.get('offset_minutes'), { min: MIN_OFFSET_MINUTES, max: MAX_OFFSET_MINUTES }),
            (offsetMinutes) => ({
              kind: 'fixed',
              offsetMinutes,
            }),
          );
      if (zone === undefined || when === undefined) return undefined;
      return { when, zone };
    },
  });
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}
