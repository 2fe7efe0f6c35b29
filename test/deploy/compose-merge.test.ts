/**
 * The test helper's Compose merge against the examples of the Compose Specification's "Merge and
 * override" (13-merge.md) and "Interpolation" (12-interpolation.md), and of Docker's "Merge Compose
 * files" page: the recipe tests are only as right as this.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  interpolate,
  mergeComposeFiles,
  parseDuration,
  parseMount,
  parsePort,
  readComposeFile,
} from './compose-model.js';
import type { Env } from './compose-model.js';

function merged(...texts: string[]): unknown {
  return mergeComposeFiles(texts.map((text, i) => readComposeFile(text, { name: `file${i}` })));
}

const port = (published: string, target: number, host_ip = '', protocol = 'tcp'): object => ({
  target,
  published,
  host_ip,
  protocol,
});

test('mappings merge key by key, the later value winning (13-merge.md "Mapping")', () => {
  assert.deepEqual(
    merged(
      'services:\n  foo:\n    key1: value1\n    key2: value2\n',
      'services:\n  foo:\n    key2: VALUE\n    key3: value3\n',
    ),
    { services: { foo: { key1: 'value1', key2: 'VALUE', key3: 'value3' } } },
  );
});

test('sequences append; dns entries are unique (13-merge.md "Sequence"; Docker: dns)', () => {
  assert.deepEqual(
    merged(
      'services:\n  foo:\n    dns:\n      - 1.1.1.1\n',
      'services:\n  foo:\n    dns:\n      - 8.8.8.8\n      - 1.1.1.1\n',
    ),
    { services: { foo: { dns: ['1.1.1.1', '8.8.8.8'] } } },
  );
  assert.deepEqual(merged('services:\n  foo:\n    dns: 1.1.1.1\n', 'services:\n  foo:\n    dns: 8.8.8.8\n'), {
    services: { foo: { dns: ['1.1.1.1', '8.8.8.8'] } },
  });
  assert.deepEqual(
    merged('services:\n  foo:\n    security_opt: [a]\n', 'services:\n  foo:\n    security_opt: [a, b]\n'),
    { services: { foo: { security_opt: ['a', 'a', 'b'] } } },
  );
});

test('command, entrypoint and healthcheck.test are replaced, not appended (13-merge.md "Shell commands")', () => {
  assert.deepEqual(
    merged(
      'services:\n  foo:\n    command: ["echo", "foo"]\n    healthcheck:\n      test: [CMD, a]\n      retries: 3\n',
      'services:\n  foo:\n    command: ["echo", "bar"]\n    healthcheck:\n      test: [CMD, b]\n',
    ),
    { services: { foo: { command: ['echo', 'bar'], healthcheck: { test: ['CMD', 'b'], retries: 3 } } } },
  );
});

test('volumes merge by container path (13-merge.md "Unique resources")', () => {
  assert.deepEqual(
    merged(
      'services:\n  foo:\n    volumes:\n      - foo:/work\n',
      'services:\n  foo:\n    volumes:\n      - bar:/work\n',
    ),
    {
      services: { foo: { volumes: [{ type: 'volume', source: 'bar', target: '/work', read_only: false }] } },
    },
  );
  // Docker's page: ./original:/foo, ./original:/bar + ./local:/bar, ./local:/baz.
  assert.deepEqual(
    merged(
      'services:\n  s:\n    volumes:\n      - ./original:/foo\n      - ./original:/bar\n',
      'services:\n  s:\n    volumes:\n      - ./local:/bar\n      - ./local:/baz:ro\n',
    ),
    {
      services: {
        s: {
          volumes: [
            { type: 'bind', source: './original', target: '/foo', read_only: false },
            { type: 'bind', source: './local', target: '/bar', read_only: false },
            { type: 'bind', source: './local', target: '/baz', read_only: true },
          ],
        },
      },
    },
  );
});

test('ports are unique by host ip, published port, container port and protocol; expose by value', () => {
  assert.deepEqual(
    merged(
      'services:\n  s:\n    ports:\n      - "8000:8000"\n      - "8003:8003"\n    expose: [3000]\n',
      'services:\n  s:\n    ports:\n      - target: 8003\n        published: "8003"\n      - "8443:443"\n    expose: ["3000", "4000"]\n',
    ),
    {
      services: {
        s: {
          ports: [port('8000', 8000), port('8003', 8003), port('8443', 443)],
          expose: ['3000', '4000'],
        },
      },
    },
  );
});

test('environment and labels merge by name, list or mapping form alike (Docker: environment)', () => {
  assert.deepEqual(
    merged(
      'services:\n  s:\n    environment:\n      - FOO=original\n      - BAR=original\n    labels: {a: "1"}\n',
      'services:\n  s:\n    environment:\n      BAR: local\n      BAZ: local\n    labels: ["b=2"]\n',
    ),
    {
      services: {
        s: { environment: { FOO: 'original', BAR: 'local', BAZ: 'local' }, labels: { a: '1', b: '2' } },
      },
    },
  );
});

test('!reset removes an attribute and !override replaces it whole (13-merge.md "Reset value", "Replace value")', () => {
  assert.deepEqual(
    merged(
      'services:\n  app:\n    image: myapp\n    ports:\n      - "8080:80"\n    environment:\n      FOO: BAR\n',
      'services:\n  app:\n    image: myapp\n    ports: !reset []\n    environment:\n      FOO: !reset null\n',
    ),
    { services: { app: { image: 'myapp', environment: {} } } },
  );
  assert.deepEqual(
    merged(
      'services:\n  app:\n    image: myapp\n    ports:\n      - "8080:80"\n',
      'services:\n  app:\n    ports: !override\n      - "8443:443"\n',
    ),
    { services: { app: { image: 'myapp', ports: [port('8443', 443)] } } },
  );
  assert.deepEqual(
    merged(
      'services:\n  app:\n    build:\n      context: .\n      args: {A: "1"}\n',
      'services:\n  app:\n    build: !override {context: ./b}\n',
    ),
    { services: { app: { build: { context: './b' } } } },
  );
});

test('depends_on, networks and build short forms merge with their long forms', () => {
  assert.deepEqual(
    merged(
      'services:\n  a:\n    build: ./a\n    depends_on: [db]\n    networks: [default]\n',
      'services:\n  a:\n    build:\n      args: {X: "1"}\n    depends_on:\n      init:\n        condition: service_completed_successfully\n    networks:\n      other:\n',
    ),
    {
      services: {
        a: {
          build: { context: './a', args: { X: '1' } },
          depends_on: {
            db: { condition: 'service_started', required: true },
            init: { condition: 'service_completed_successfully', required: true },
          },
          networks: { default: null, other: null },
        },
      },
    },
  );
});

test('an attribute left empty in a later file keeps the earlier value; an empty list is refused like Compose does', () => {
  assert.deepEqual(merged('services:\n  a:\n    image: x\n', 'services:\n  a:\n    image:\n'), {
    services: { a: { image: 'x' } },
  });
  assert.throws(() => merged('services:\n  a:\n    ports:\n'), /expected a string or a list/);
});

test('interpolation: defaults, required variables, nesting and $$ (12-interpolation.md)', () => {
  const ctx = (env: Env) => ({ name: 'f', path: 'p', env });
  assert.equal(interpolate('${A:-./x}', ctx({})), './x');
  assert.equal(interpolate('${A:-./x}', ctx({ A: '' })), './x');
  assert.equal(interpolate('${A-./x}', ctx({ A: '' })), '');
  assert.equal(interpolate('${A-./x}', ctx({ A: '/y' })), '/y');
  assert.equal(interpolate('$A and ${B}', ctx({ A: '1', B: '2' })), '1 and 2');
  assert.equal(interpolate('${A:-${B:-deep}}', ctx({})), 'deep');
  assert.equal(interpolate('$$A costs $5', ctx({ A: 'x' })), '$A costs $5');
  assert.equal(interpolate('${UNSET}', ctx({})), '');
  assert.throws(() => interpolate('${A:?set A}', ctx({ A: '' })), /A is required: set A/);
  assert.throws(() => interpolate('${A/x/y}', ctx({ A: 'x' })), /unsupported/);
  const file = readComposeFile('services:\n  a:\n    build: ${SRC:-./here}\n', {
    name: 'f',
    env: { SRC: '/there' },
  });
  assert.deepEqual(mergeComposeFiles([file]), { services: { a: { build: { context: '/there' } } } });
});

test('short port and volume syntax (05-services.md "ports", "volumes")', () => {
  assert.deepEqual(parsePort('3000', 'p'), port('', 3000));
  assert.deepEqual(parsePort(3000, 'p'), port('', 3000));
  assert.deepEqual(parsePort('127.0.0.1:8001:8001', 'p'), port('8001', 8001, '127.0.0.1'));
  assert.deepEqual(parsePort('[::1]:6001:6001', 'p'), port('6001', 6001, '::1'));
  assert.deepEqual(parsePort('::1:6000:6000', 'p'), port('6000', 6000, '::1'));
  assert.deepEqual(parsePort('6060:6060/udp', 'p'), port('6060', 6060, '', 'udp'));
  assert.throws(() => parsePort('9090-9091:8080-8081', 'p'), /ranges/);
  assert.deepEqual(parseMount('/data', 'v'), {
    type: 'volume',
    source: '',
    target: '/data',
    read_only: false,
  });
  assert.deepEqual(parseMount('~/x:/x:ro,z', 'v'), {
    type: 'bind',
    source: '~/x',
    target: '/x',
    read_only: true,
  });
  assert.deepEqual(parseMount('data:/d', 'v'), {
    type: 'volume',
    source: 'data',
    target: '/d',
    read_only: false,
  });
});

test('durations (11-extension.md "Specifying durations")', () => {
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1h5m30s20ms'), 3_930_020);
  assert.throws(() => parseDuration('15'), /not a Compose duration/);
  assert.throws(() => parseDuration('15 s'), /not a Compose duration/);
});

test('YAML merge keys and duplicate keys are refused rather than misread', () => {
  assert.throws(() => merged('x: &a {b: 1}\nservices:\n  s:\n    <<: *a\n'), /merge keys/);
  assert.throws(() => merged('services:\n  s:\n    image: a\n    image: b\n'), /unique|duplicate/i);
});
