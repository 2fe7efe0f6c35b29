/**
 * JSON Schema (draft-07) for editors, generated from the key definitions (key-definitions.ts): the
 * shipped files name it on their first line (`# yaml-language-server: $schema=…`), so an editor
 * completes keys, shows each key's doc line and flags a typo. It checks the shape only; the proxy's
 * own checks (URLs, CIDRs, templates, cross-key rules) run at load and in `validate`.
 */
import type { JsonSchema, KeyDef, Keys, LeafDef, SectionDef } from './key-definitions.js';

/** Where shared fragments live in a generated schema. */
export const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });

/** One value or a non-empty list of them (`when:` keys, MAC lists). */
export const oneOrMany = (item: JsonSchema): JsonSchema => ({
  anyOf: [item, { type: 'array', minItems: 1, items: item }],
});

/** Also allow a `${VAR}` reference where a number, a boolean or a constrained string is expected. */
export const orVariable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, ref('variable')] });

/** An unquoted whole `${…}` is read as YAML once substituted (docs/configuration.md "The file"). */
const VARIABLE: JsonSchema = {
  description:
    'An environment variable, ${NAME} or ${NAME:-default}; without quotes its value is read as YAML',
  type: 'string',
  pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$',
};

function leafCore(def: LeafDef<unknown>): JsonSchema {
  switch (def.kind) {
    case 'int':
      return { type: 'integer', ...bounds(def.min, def.max) };
    case 'number':
      return {
        type: 'number',
        ...bounds(def.min, def.max),
        ...(def.above === undefined ? {} : { exclusiveMinimum: def.above }),
      };
    case 'bool':
      return { type: 'boolean' };
    case 'enum':
      return { enum: def.values };
    case 'text':
      return {
        type: 'string',
        ...(def.minLength === undefined ? {} : { minLength: def.minLength }),
        ...(def.pattern === undefined ? {} : { pattern: def.pattern.source }),
      };
    case 'parsed':
      return { type: 'string', ...def.schema };
    case 'list': {
      const item = leafSchema(def.item);
      const array = { type: 'array', ...(def.nonEmpty === false ? {} : { minItems: 1 }), items: item };
      return def.single === true ? { anyOf: [item, array] } : array;
    }
    case 'scalar':
    case 'custom':
      return def.schema;
    default: {
      const never: never = def;
      return never;
    }
  }
}

function bounds(min: number | undefined, max: number | undefined): JsonSchema {
  return { ...(min === undefined ? {} : { minimum: min }), ...(max === undefined ? {} : { maximum: max }) };
}

/** A `${VAR}` satisfies only a string without a pattern (and no longer than `${A}` must be). */
function acceptsVariable(core: JsonSchema): boolean {
  return core.type === 'string' && !('pattern' in core) && Number(core.minLength ?? 0) <= '${A}'.length;
}

function leafSchema(def: LeafDef<unknown>): JsonSchema {
  const core = leafCore(def);
  const custom = def.kind === 'custom' || def.kind === 'scalar' || def.kind === 'list';
  const alternatives = [
    core,
    ...(custom || acceptsVariable(core) ? [] : [ref('variable')]),
    ...(def.nullable === true ? [{ type: 'null' }] : []),
  ];
  // Keywords beside a `$ref` are ignored in draft-07: wrap it.
  const shape = alternatives.length > 1 ? { anyOf: alternatives } : '$ref' in core ? { allOf: [core] } : core;
  return { description: def.doc, ...('default' in def ? { default: def.default } : {}), ...shape };
}

/** The schema of a mapping of `keys`: only those keys; the ones without a default are required. */
export function keysSchema(keys: Keys, { nullable }: { nullable: boolean }): JsonSchema {
  const required = Object.entries(keys)
    .filter(([, def]) => def.kind !== 'section' && !('default' in def) && def.optional !== true)
    .map(([name]) => name);
  return {
    type: nullable ? ['object', 'null'] : 'object',
    additionalProperties: false,
    ...(required.length === 0 ? {} : { required }),
    properties: Object.fromEntries(Object.entries(keys).map(([name, def]) => [name, keySchema(def)])),
  };
}

function keySchema(def: KeyDef): JsonSchema {
  if (def.kind !== 'section') return leafSchema(def);
  // An empty or null section reads as its defaults.
  return { description: def.doc, ...keysSchema((def as SectionDef).keys, { nullable: true }) };
}

export interface SchemaDocument {
  readonly title: string;
  readonly description: string;
  /** The document's own schema (`keysSchema(…)` or a list of them). */
  readonly root: JsonSchema;
  /** Shared fragments, referenced with `ref(name)`. */
  readonly definitions?: { readonly [name: string]: JsonSchema };
}

/** A whole schema document. */
export function schemaDocument({ title, description, root, definitions = {} }: SchemaDocument): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    description,
    ...root,
    definitions: { variable: VARIABLE, ...definitions },
  };
}

/** The text of a schema file as committed (schema/*.schema.json). */
export function formatSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
