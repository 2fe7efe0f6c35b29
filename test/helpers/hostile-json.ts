/**
 * fast-check arbitraries for hostile upstream replies and device requests: random sections and types,
 * `null`s, huge strings, case-variant keys (`"MQTT"`), duplicates, NULs in keys, broken JSON. Objects are
 * kept as ordered entry lists so the JSON text can carry duplicate keys, which `JSON.stringify` cannot.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { CAPTURES_DIR } from './captures.js';

/** A JSON value whose objects may hold duplicate keys. */
export type LooseJson =
  | null
  | boolean
  | number
  | string
  | LooseJson[]
  | { readonly entries: readonly (readonly [string, LooseJson])[] };

/** The JSON text of a loose value, duplicates and key order kept. */
export function looseText(value: LooseJson): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(looseText).join(',')}]`;
  return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${looseText(v)}`).join(',')}}`;
}

/** A plain parsed JSON value as a loose one (for mutating the captures). */
export function toLoose(value: unknown): LooseJson {
  if (value === null || typeof value !== 'object') return value as LooseJson;
  if (Array.isArray(value)) return value.map(toLoose);
  return { entries: Object.entries(value).map(([k, v]) => [k, toLoose(v)] as const) };
}

const CAPTURE_BODIES = [
  'python-default-post',
  'python-auth-token',
  'python-mqtt-gateway',
  'python-firmware-available',
  'python-timezone-fraction',
  'python-configured-ws-wss',
  'java-unbound-device',
  'java-bound-with-firmware',
  'java-bound-no-firmware',
  'java-mqtt-and-websocket',
  'java-error-missing-device-id',
  'python-no-device-id',
].map((name) => toLoose(JSON.parse(readFileSync(`${CAPTURES_DIR}${name}.json`, 'utf8'))));

/** Strings a device or the guard must care about, plus random and huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'ws://172.21.0.5:8000/xiaozhi/v1/',
      'wss://xz.example.com/xiaozhi/v1/',
      'ws://h/p:x',
      'ws://h:/x',
      'ws://[::1]:8000/',
      'ws://host:abc/',
      'ws://user:pw@host/',
      'ws://',
      'WS://X/',
      'http://172.21.0.5:8003/xiaozhi/ota/download/x.bin',
      'https://',
      'http://',
      'HTTP://X/y.bin',
      'ftp://x/y',
      'http://x/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL',
      'https://cdn.example.com/a.bin',
      '1.7.0',
      '2.0.0',
      '9.9.9',
      'v2.0.0',
      '2..0',
      '2.x',
      '99999999999.0',
      '1.10.0',
      '0.0.0',
      '1',
      '3',
      ' 3 ',
      '3.0',
      '-1',
      '480',
      '330.0',
      '1763764269823',
      '1763764269',
      'mqtt.example.com:1883',
      'mqtt.example.com',
      'host:',
      'a:b:1883',
      'host:99999',
      'host:123456',
      '[::1]:1883',
      ':1883',
      '60',
      'abc',
      'null',
      'true',
      '{}',
      '\u0000',
      'a\u0000b',
      // Control characters and blanks the device would write into a request line or header.
      'ws://192.168.1.5:8000/xiaozhi/v1/\r\nX-Injected: 1',
      'ws://192.168.1.5:8000/xiaozhi/v1/\u0000',
      'ws://h/a b',
      'ws://h:8000/\u3000',
      'wss://h/\t',
      'tok\r\nen',
      'pass\nword',
      '\u007f',
      '\u001b[31m',
      '\u00e9\u00e8',
      '\ud83d\ude00',
    ),
  },
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3990, max: 4200 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1990, max: 2100 }).map((n) => '\u00e9'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 3000 }).map((n) => 't'.repeat(n)) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    2,
    3,
    1.5,
    5.5,
    330.5,
    480,
    -720,
    1e12,
    1e11,
    1763764269823,
    1763764269,
    1763764269.5,
    2147483648,
    1e300,
    -1e300,
    1e-300,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const SECTION_NAMES = ['server_time', 'websocket', 'mqtt', 'firmware', 'activation'];
const MEMBER_NAMES = [
  'url',
  'token',
  'version',
  'endpoint',
  'client_id',
  'username',
  'password',
  'keepalive',
  'publish_topic',
  'subscribe_topic',
  'timestamp',
  'timezone_offset',
  'timeZone',
  'force',
  'code',
  'message',
  'challenge',
  'timeout_ms',
];

/** `name`, `NAME`, `Name` or a random mix of cases. */
function caseVariant(name: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(name) },
    { weight: 1, arbitrary: fc.constant(name.toUpperCase()) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
        .map((flips) => [...name].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join('')),
    },
  );
}

export const memberKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...MEMBER_NAMES).chain(caseVariant) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'a_key_longer_than_15',
      'x\u0000y',
      '\u0000',
      '\u00e9'.repeat(8),
      '__proto__',
      'constructor',
      'toString',
      'url\u0000x',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

export const topKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...SECTION_NAMES).chain(caseVariant) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'success',
      'message',
      'error',
      'code',
      'data',
      'msg',
      '__proto__',
      'mqtt\u0000x',
      'websocket ',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

const scalar: fc.Arbitrary<LooseJson> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** A member value: mostly scalars, sometimes a small nested value. */
const memberValue: fc.Arbitrary<LooseJson> = fc.oneof(
  { weight: 10, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.tuple(memberKey, scalar), { maxLength: 3 }).map((entries) => ({ entries })),
  },
);

/** A section value: mostly an object of (possibly duplicate, case-variant) members. */
const sectionValue: fc.Arbitrary<LooseJson> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.array(fc.tuple(memberKey, memberValue), { maxLength: 8 }).map((entries) => ({ entries })),
  },
  { weight: 1, arbitrary: fc.constant({ entries: [] }) },
  { weight: 2, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) },
);

/** A random reply object: section-like keys with section-like values, duplicates allowed. */
export const randomReplyObject: fc.Arbitrary<LooseJson> = fc
  .array(fc.tuple(topKey, sectionValue), { maxLength: 7 })
  .map((entries) => ({ entries }));

/** A real capture with hostile entries put before, after or in place of its own. */
export const mutatedCapture: fc.Arbitrary<LooseJson> = fc
  .tuple(
    fc.constantFrom(...CAPTURE_BODIES),
    fc.array(fc.tuple(topKey, sectionValue), { maxLength: 3 }),
    fc.array(fc.tuple(topKey, sectionValue), { maxLength: 3 }),
    fc.array(fc.tuple(fc.nat(), memberKey, memberValue), { maxLength: 3 }),
  )
  .map(([capture, before, after, memberEdits]) => {
    const base = capture as { entries: readonly (readonly [string, LooseJson])[] };
    const entries = base.entries.map(([key, value], index) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [key, value] as const;
      const section = value as { entries: readonly (readonly [string, LooseJson])[] };
      const edits = memberEdits
        .filter(([n]) => n % base.entries.length === index)
        .map(([, k, v]) => [k, v] as const);
      // Edits go in front, so the device (first match wins) reads them rather than the original member.
      return [key, { entries: [...edits, ...section.entries] }] as const;
    });
    return { entries: [...before, ...entries, ...after] };
  });

/** What an upstream might send as a 2xx body: objects mostly, then other JSON, truncated JSON and garbage. */
export const upstreamBodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: randomReplyObject.map(looseText) },
  { weight: 6, arbitrary: mutatedCapture.map(looseText) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(mutatedCapture.map(looseText), fc.nat())
      .map(([text, n]) => text.slice(0, n % Math.max(1, text.length))),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constantFrom(
        '',
        '[1,2]',
        '"x"',
        'null',
        '0',
        '{',
        '<html>502</html>',
        '{"websocket":{"url":"ws://a/"}} trailing',
        '\ufeff{"websocket":{"url":"ws://a/"}}',
      ),
      fc.string(),
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
);

/** Running versions devices report, and a few odd ones; `null` = the proxy cannot know it. */
export const runningVersion: fc.Arbitrary<string | null> = fc.oneof(
  fc.constantFrom(
    null,
    '1.6.0',
    '2.0.0',
    '1.5.9',
    '2.4.2',
    '1.7.6',
    '2.0.0-beta',
    '0.0.0',
    '1.10.0',
    '1.2.4',
    '0.0',
    '3',
  ),
  fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 }).map((n) => n.join('.')),
);
