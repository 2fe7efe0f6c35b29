/**
 * `npm run schema`: writes schema/*.schema.json, the JSON Schemas editors use for config/proxy.yaml and
 * firmware/catalog.yaml, from the key definitions (src/config/proxy-keys.ts, src/firmware/catalog-parse.ts).
 * test/unit/schema-files.test.ts fails when the committed files differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatSchema } from '../src/config/json-schema.js';
import { proxyJsonSchema } from '../src/config/proxy-keys.js';
import { catalogJsonSchema } from '../src/firmware/catalog-parse.js';

/** The schema folder of this checkout. */
export const SCHEMA_DIR = fileURLToPath(new URL('../schema/', import.meta.url));

/** Each schema file's name and text, as committed. */
export function schemaFiles(): ReadonlyMap<string, string> {
  return new Map([
    ['proxy.schema.json', formatSchema(proxyJsonSchema())],
    ['catalog.schema.json', formatSchema(catalogJsonSchema())],
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, text] of schemaFiles()) {
    writeFileSync(`${SCHEMA_DIR}${name}`, text);
    process.stdout.write(`wrote schema/${name}\n`);
  }
}
