/**
 * schema/*.schema.json are generated from the key definitions (`npm run schema`): the committed files
 * must be what the definitions give today, and the shipped files must fit them. Ajv (a dev dependency)
 * checks that each schema is valid draft-07 and validates documents against it, as an editor would.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { schemaFiles, SCHEMA_DIR } from '../../scripts/generate-schemas.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

function validator(name: string): ValidateFunction {
  // Strict about the schema itself (unknown keywords, type mistakes); `required` inside `oneOf` is standard.
  const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  return ajv.compile(JSON.parse(read(`schema/${name}`)) as object);
}

/** The entries in the shipped catalog's commented example, uncommented. */
function catalogExample(): string {
  const lines = read('firmware/catalog.yaml').split('\n');
  const start = lines.findIndex((line) => line.startsWith('# Example'));
  assert.ok(start > 0);
  return lines
    .slice(start + 1)
    .filter((line) => line.startsWith('#'))
    .map((line) => line.slice(2))
    .join('\n');
}

function accepts(validate: ValidateFunction, yaml: string): void {
  assert.equal(validate(parseYaml(yaml)), true, JSON.stringify(validate.errors, null, 2));
}

function refuses(validate: ValidateFunction, yaml: string): void {
  assert.equal(validate(parseYaml(yaml)), false, yaml);
}

describe('schema files', () => {
  test('the committed schemas are what the definitions generate (run `npm run schema`)', () => {
    const files = schemaFiles();
    assert.deepEqual([...files.keys()], ['proxy.schema.json', 'catalog.schema.json']);
    for (const [name, text] of files) {
      assert.equal(
        readFileSync(`${SCHEMA_DIR}${name}`, 'utf8'),
        text,
        `schema/${name} is stale: npm run schema`,
      );
    }
  });

  test('the shipped files name their schema on their first line', () => {
    assert.equal(
      read('config/proxy.yaml').split('\n')[0],
      '# yaml-language-server: $schema=../schema/proxy.schema.json',
    );
    assert.equal(
      read('firmware/catalog.yaml').split('\n')[0],
      '# yaml-language-server: $schema=../schema/catalog.schema.json',
    );
  });

  test('the shipped config/proxy.yaml fits the proxy schema; typos and wrong types do not', () => {
    const validate = validator('proxy.schema.json');
    accepts(validate, read('config/proxy.yaml'));
    accepts(validate, '');
    accepts(validate, 'upstream:\n  timeout_ms: ${TIMEOUT:-5000}\nlimits: ~\n');
    accepts(
      validate,
      [
        'websocket:',
        '  - when: {board: "m5stack-*", version: ">=1.2.0", devices: [aa:bb:cc:dd:ee:01, 112233445566]}',
        '    url: wss://voice.example.com/xiaozhi/v1/',
        '  - url: ws://{host}:8000/xiaozhi/v1/',
        'mqtt: [{when: {source: 192.168.1.0/24}, mode: strip}, keep]',
        'server_time: [{when: {board: x}, offset_minutes: 0}, {timezone: Europe/Berlin}]',
        'rewrite: [{from: "http://a/", to: "http://{host}/", when: {host: "*.lan"}}]',
        'fleet: {enabled: true, halt: {failure_rate: 0.5}}',
        'log: {pretty: false}',
      ].join('\n'),
    );
    refuses(validate, 'upstream:\n  timout_ms: 5000\n');
    refuses(validate, 'upstream:\n  timeout_ms: 30000\n');
    refuses(validate, 'mqtt: remove\n');
    refuses(validate, 'server_time: {timezone: UTC, offset_minutes: 0}\n');
    refuses(validate, 'websocket:\n  when: {version: 1.10}\n  url: ws://a/\n');
    refuses(validate, 'admin:\n  token: two words\n');
  });

  test("the catalog's documented example fits the catalog schema; an entry without a file does not", () => {
    const validate = validator('catalog.schema.json');
    accepts(validate, catalogExample());
    accepts(validate, read('firmware/catalog.yaml'));
    refuses(validate, '- board: x\n  version: "1.0.0"\n');
    refuses(validate, '- board: x\n  version: 1.10\n  file: a.bin\n');
    refuses(validate, '- board: x\n  version: "1.0.0"\n  file: ../a.bin\n');
    refuses(validate, '- board: x\n  version: "1.0.0"\n  file: a.bin\n  rolout: 5\n');
  });
});
