/**
 * The part of Docker Compose's file handling the deployment tests need, without a Docker engine: read a
 * Compose file (YAML with the `!reset` / `!override` tags, `${VAR}` interpolation), bring the attributes
 * the recipes use to one canonical form, and merge files in order as `docker compose -f a -f b …` does.
 * A construct outside this subset throws, so a recipe that starts using one fails loudly instead of
 * being misread.
 *
 * Sources (the Compose Specification, github.com/compose-spec/compose-spec): "Merge and override"
 * (13-merge.md), "Interpolation" (12-interpolation.md), "Services top-level elements" (05-services.md:
 * ports, volumes, expose, environment, labels, depends_on, networks, dns), "Specifying durations"
 * (11-extension.md); and Docker's manual "Merge Compose files", which adds `expose`, `dns`,
 * `dns_search` and `tmpfs` to the attributes whose entries are unique.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import type { Document, Node as YamlNode, Tags } from 'yaml';

export type Json = null | boolean | number | string | Json[] | JsonMapping;
export interface JsonMapping {
  [key: string]: Json;
}

const TAG = Symbol('compose merge tag');
type MergeTag = '!reset' | '!override';
/** A value carrying `!reset` or `!override` (13-merge.md "Reset value", "Replace value"). */
interface Tagged {
  readonly [TAG]: MergeTag;
  readonly value: Raw;
}
type Raw = null | boolean | number | string | Raw[] | RawMapping | Tagged;
interface RawMapping {
  [key: string]: Raw;
}

/** One Compose file as read: interpolated, with its merge tags still attached. */
export interface ComposeFile {
  readonly name: string;
  readonly root: RawMapping;
}

export type Env = Readonly<Record<string, string | undefined>>;

function isTagged(value: unknown): value is Tagged {
  return typeof value === 'object' && value !== null && TAG in value;
}

function isMapping(value: unknown): value is RawMapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTagged(value);
}

/**
 * The merge tags as the `yaml` package's custom tags: on a sequence, a mapping or a scalar
 * (`!reset []`, `!override {…}`, `!reset null`). They keep the node as parsed; toRaw reads `node.tag`.
 */
const MERGE_TAGS: Tags = (['!reset', '!override'] as const).flatMap((tag): Tags => [
  { tag, collection: 'seq', nodeClass: YAMLSeq, resolve: (node) => node },
  { tag, collection: 'map', nodeClass: YAMLMap, resolve: (node) => node },
  { tag, resolve: (text: string) => text },
]);

/** Reads one Compose file; `env` feeds interpolation, which applies per file before merging (12-interpolation.md). */
export function readComposeFile(text: string, { name, env = {} }: { name: string; env?: Env }): ComposeFile {
  const doc = parseDocument(text, { customTags: MERGE_TAGS, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors.map((e) => e.message).join('; ')}`);
  const root = toRaw(doc, doc.contents, { name, env, path: '' });
  if (!isMapping(root)) throw new Error(`${name}: the top level must be a mapping`);
  return { name, root };
}

interface ReadContext {
  readonly name: string;
  readonly env: Env;
  readonly path: string;
}

function toRaw(doc: Document, node: unknown, ctx: ReadContext): Raw {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toRaw(doc, node.resolve(doc), ctx);
  let value: Raw;
  if (isMap(node)) {
    const out: RawMapping = {};
    for (const pair of node.items) {
      if (!isScalar(pair.key)) throw new Error(`${ctx.name}: ${ctx.path}: a non-scalar key`);
      const key = String(pair.key.value);
      // YAML merge keys are legal Compose, but no file here uses them: refuse rather than misread.
      if (key === '<<') throw new Error(`${ctx.name}: ${ctx.path}: merge keys (<<) are not supported here`);
      out[key] = toRaw(doc, pair.value, { ...ctx, path: ctx.path === '' ? key : `${ctx.path}.${key}` });
    }
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((item, i) => toRaw(doc, item, { ...ctx, path: `${ctx.path}[${i}]` }));
  } else if (isScalar(node)) {
    const scalar = node.value;
    if (typeof scalar === 'string') value = interpolate(scalar, ctx);
    else if (scalar === null || typeof scalar === 'boolean' || typeof scalar === 'number') value = scalar;
    else throw new Error(`${ctx.name}: ${ctx.path}: unsupported scalar`);
  } else {
    throw new Error(`${ctx.name}: ${ctx.path}: unsupported YAML node`);
  }
  const tag = (node as YamlNode).tag;
  if (tag === '!reset' || tag === '!override') return { [TAG]: tag, value };
  return value;
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/**
 * 12-interpolation.md: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
 * `${VAR:?err}` / `${VAR?err}` (required), nested defaults, `$$` for a literal `$`. An unset variable
 * without a default becomes the empty string (Compose warns).
 */
export function interpolate(text: string, ctx: { name: string; env: Env; path: string }): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '{') depth += 1;
        else if (text[j] === '}') depth -= 1;
      }
      if (depth !== 0) throw new Error(`${ctx.name}: ${ctx.path}: unclosed \${ in ${JSON.stringify(text)}`);
      out += substitute(text.slice(i + 2, j - 1), ctx);
      i = j;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1));
    if (name === null) {
      out += '$';
      i += 1;
      continue;
    }
    out += ctx.env[name[0]] ?? '';
    i += 1 + name[0].length;
  }
  return out;
}

function substitute(body: string, ctx: { name: string; env: Env; path: string }): string {
  const name = NAME.exec(body);
  if (name === null) throw new Error(`${ctx.name}: ${ctx.path}: invalid \${${body}}`);
  const value = ctx.env[name[0]];
  const rest = body.slice(name[0].length);
  if (rest === '') return value ?? '';
  const op = /^(:-|-|:\?|\?)/.exec(rest);
  if (op === null) throw new Error(`${ctx.name}: ${ctx.path}: unsupported \${${body}}`);
  const arg = rest.slice(op[0].length);
  const missing = op[0].startsWith(':') ? value === undefined || value === '' : value === undefined;
  if (!missing) return value ?? '';
  if (op[0].endsWith('?')) throw new Error(`${ctx.name}: ${ctx.path}: ${name[0]} is required: ${arg}`);
  return interpolate(arg, ctx);
}

// ---------------------------------------------------------------------------------------------------
// Canonical forms (05-services.md): the short syntaxes become one shape, so that merging by unique key
// and comparing two models both work on values, not spellings.

export interface PortMapping {
  readonly target: number;
  /** Host port; '' when the runtime picks one. */
  readonly published: string;
  /** '' = every interface. */
  readonly host_ip: string;
  readonly protocol: string;
}

export interface Mount {
  readonly type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind, as written) or volume name; '' for an anonymous volume or tmpfs. */
  readonly source: string;
  readonly target: string;
  readonly read_only: boolean;
}

/** 05-services.md "ports", short syntax `[HOST:]CONTAINER[/PROTOCOL]`, HOST = `[IP:]port`; no ranges. */
export function parsePort(value: Raw, where: string): PortMapping {
  if (typeof value === 'number') return { target: value, published: '', host_ip: '', protocol: 'tcp' };
  if (isMapping(value)) {
    const target = Number(value.target);
    if (!Number.isInteger(target)) throw new Error(`${where}: a port without a numeric target`);
    return {
      target,
      published: value.published === undefined || value.published === null ? '' : String(value.published),
      host_ip: typeof value.host_ip === 'string' ? value.host_ip : '',
      protocol: typeof value.protocol === 'string' ? value.protocol : 'tcp',
    };
  }
  if (typeof value !== 'string') throw new Error(`${where}: a port must be a string, number or mapping`);
  const [spec = '', protocol = 'tcp'] = value.split('/');
  if (spec.includes('-')) throw new Error(`${where}: port ranges are not supported here (${value})`);
  let hostIp = '';
  let rest = spec;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(spec);
  if (bracketed !== null) {
    hostIp = bracketed[1] ?? '';
    rest = bracketed[2] ?? '';
  }
  const parts = rest.split(':');
  const target = Number(parts.at(-1));
  if (!Number.isInteger(target)) throw new Error(`${where}: bad container port in ${value}`);
  const published = parts.length >= 2 ? (parts.at(-2) ?? '') : '';
  if (parts.length > 2) hostIp = parts.slice(0, -2).join(':');
  return { target, published, host_ip: hostIp, protocol };
}

/** 05-services.md "volumes", short syntax `VOLUME:CONTAINER_PATH[:ACCESS_MODE]` or `CONTAINER_PATH`. */
export function parseMount(value: Raw, where: string): Mount {
  if (isMapping(value)) {
    const type = value.type;
    if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
      throw new Error(`${where}: unsupported mount type ${String(type)}`);
    }
    if (typeof value.target !== 'string') throw new Error(`${where}: a mount without a target`);
    return {
      type,
      source: typeof value.source === 'string' ? value.source : '',
      target: value.target,
      read_only: value.read_only === true,
    };
  }
  if (typeof value !== 'string') throw new Error(`${where}: a mount must be a string or mapping`);
  const parts = value.split(':');
  if (parts.length === 1) return { type: 'volume', source: '', target: value, read_only: false };
  if (parts.length > 3) throw new Error(`${where}: cannot read the mount ${value}`);
  const [source = '', target = '', mode = 'rw'] = parts;
  const options = mode.split(',');
  // A host path starts with `.`, `/` or `~`; anything else names a volume.
  const type = /^[./~]/.test(source) ? 'bind' : 'volume';
  return { type, source, target, read_only: options.includes('ro') };
}

/** "K=V" / "K" entries (or a mapping) as a mapping: how `environment` and `labels` merge (05-services.md). */
function keyValues(value: Raw, where: string): RawMapping {
  if (isMapping(value)) {
    const out: RawMapping = {};
    for (const [k, v] of Object.entries(value)) out[k] = v === null || isTagged(v) ? v : String(v as Json);
    return out;
  }
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list or a mapping`);
  const out: RawMapping = {};
  for (const entry of value) {
    if (typeof entry !== 'string') throw new Error(`${where}: expected KEY=VALUE strings`);
    const eq = entry.indexOf('=');
    if (eq === -1) out[entry] = null;
    else out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** 05-services.md "depends_on": the short list means `condition: service_started, required: true`. */
function dependsOn(value: Raw, where: string): RawMapping {
  const out: RawMapping = {};
  const defaults = { condition: 'service_started', required: true };
  if (Array.isArray(value)) {
    for (const name of value) {
      if (typeof name !== 'string') throw new Error(`${where}: expected service names`);
      out[name] = { ...defaults };
    }
    return out;
  }
  if (!isMapping(value)) throw new Error(`${where}: expected a list or a mapping`);
  for (const [name, spec] of Object.entries(value)) {
    out[name] = isMapping(spec) ? { ...defaults, ...spec } : { ...defaults };
  }
  return out;
}

function stringList(value: Raw, where: string): Raw[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw new Error(`${where}: expected a string or a list`);
  return value;
}

type Canonicalizer = (value: Raw, where: string) => Raw;

/** Per service attribute: its canonical form. */
const CANONICAL: Readonly<Record<string, Canonicalizer>> = {
  build: (v, where) => {
    if (typeof v === 'string') return { context: v };
    if (!isMapping(v)) throw new Error(`${where}: expected a path or a mapping`);
    return v;
  },
  depends_on: dependsOn,
  environment: keyValues,
  labels: keyValues,
  ports: (v, where) => stringList(v, where).map((p, i) => ({ ...parsePort(p, `${where}[${i}]`) })),
  volumes: (v, where) => stringList(v, where).map((m, i) => ({ ...parseMount(m, `${where}[${i}]`) })),
  expose: (v, where) => stringList(v, where).map((e) => String(e as Json)),
  networks: (v, where) => {
    if (isMapping(v)) return v;
    return Object.fromEntries(stringList(v, where).map((n) => [String(n as Json), null]));
  },
  dns: stringList,
  dns_search: stringList,
  tmpfs: stringList,
};

/** The entry key of each attribute whose entries are unique (13-merge.md "Unique resources"; Docker's merge page). */
const UNIQUE_KEY: Readonly<Record<string, (entry: Json) => string>> = {
  ports: (p) => {
    const m = p as unknown as PortMapping;
    return `${m.host_ip === '' ? '0.0.0.0' : m.host_ip}:${m.published}:${m.target}/${m.protocol}`;
  },
  volumes: (m) => (m as unknown as Mount).target,
  expose: String,
  dns: String,
  dns_search: String,
  dns_opt: String,
  tmpfs: String,
  cap_add: String,
  cap_drop: String,
};

/** 13-merge.md "Shell commands": replaced by the later file, never appended. */
const REPLACED = new Set(['command', 'entrypoint']);

function canonicalize(value: Raw, where: string, fn: Canonicalizer): Raw {
  if (isTagged(value)) {
    return value[TAG] === '!reset' ? value : { [TAG]: value[TAG], value: fn(value.value, where) };
  }
  return fn(value, where);
}

function canonicalFile(file: ComposeFile): RawMapping {
  const root: RawMapping = { ...file.root };
  const services = root.services;
  if (services === undefined || services === null) return root;
  if (!isMapping(services)) throw new Error(`${file.name}: services must be a mapping`);
  const out: RawMapping = {};
  for (const [name, service] of Object.entries(services)) {
    if (!isMapping(service)) {
      out[name] = service;
      continue;
    }
    const copy: RawMapping = {};
    for (const [key, value] of Object.entries(service)) {
      const fn = CANONICAL[key];
      copy[key] = fn === undefined ? value : canonicalize(value, `${file.name}: services.${name}.${key}`, fn);
    }
    out[name] = copy;
  }
  root.services = out;
  return root;
}

const ABSENT = Symbol('absent');

/** A value from one file taken as it is: `!override` unwrapped, `!reset` entries dropped. */
function plain(value: Raw): Json | typeof ABSENT {
  if (isTagged(value)) return value[TAG] === '!reset' ? ABSENT : plain(value.value);
  if (Array.isArray(value)) {
    return value.map(plain).filter((v): v is Json => v !== ABSENT);
  }
  if (isMapping(value)) {
    const out: JsonMapping = {};
    for (const [k, v] of Object.entries(value)) {
      const p = plain(v);
      if (p !== ABSENT) out[k] = p;
    }
    return out;
  }
  return value;
}

function unique(entries: Json[], key: (entry: Json) => string): Json[] {
  const out: Json[] = [];
  const at = new Map<string, number>();
  for (const entry of entries) {
    const k = key(entry);
    const i = at.get(k);
    // A later entry with the same key replaces the earlier one in its place.
    if (i === undefined) {
      at.set(k, out.length);
      out.push(entry);
    } else {
      out[i] = entry;
    }
  }
  return out;
}

/**
 * 13-merge.md: mappings merge key by key, sequences append (unique attributes by their key), scalars are
 * replaced; `!reset` removes the attribute, `!override` replaces it whole.
 */
function merge(base: Json | undefined, over: Raw, path: readonly string[]): Json | typeof ABSENT {
  if (isTagged(over)) return over[TAG] === '!reset' ? ABSENT : plain(over.value);
  if (base === undefined) return plain(over);
  // compose-go's MergeYaml: an attribute left empty (null) in the later file keeps the earlier value.
  if (over === null) return base;
  const inService = path.length === 3 && path[0] === 'services';
  const attribute = inService ? (path[2] ?? '') : '';
  const healthTest =
    path.length === 4 && path[0] === 'services' && path[2] === 'healthcheck' && path[3] === 'test';
  if (REPLACED.has(attribute) || healthTest) return plain(over);
  if (isMapping(over)) {
    if (!isMapping(base)) throw new Error(`cannot merge a mapping onto ${path.join('.')}`);
    const out: JsonMapping = { ...(base as JsonMapping) };
    for (const [key, value] of Object.entries(over)) {
      const merged = merge(out[key], value, [...path, key]);
      if (merged === ABSENT) delete out[key];
      else out[key] = merged;
    }
    return out;
  }
  if (Array.isArray(over)) {
    if (!Array.isArray(base)) throw new Error(`cannot merge a sequence onto ${path.join('.')}`);
    const appended = [...base, ...(plain(over) as Json[])];
    const key = UNIQUE_KEY[attribute];
    return inService && key !== undefined ? unique(appended, key) : appended;
  }
  if (typeof base === 'object' && base !== null)
    throw new Error(`cannot replace ${path.join('.')} by a scalar`);
  return over;
}

/** Merges Compose files in the order given, as `docker compose -f first -f second …` (13-merge.md). */
export function mergeComposeFiles(files: readonly ComposeFile[]): JsonMapping {
  let model: JsonMapping = {};
  for (const file of files) {
    const merged = merge(model, canonicalFile(file), []);
    if (merged === ABSENT || typeof merged !== 'object' || merged === null || Array.isArray(merged)) {
      throw new Error(`${file.name}: the merge left no model`);
    }
    model = merged;
  }
  return model;
}

// ---------------------------------------------------------------------------------------------------
// Readers for a merged model.

export function servicesOf(model: JsonMapping): Record<string, JsonMapping> {
  const services = model.services;
  if (!isMapping(services)) throw new Error('the model has no services');
  return services as Record<string, JsonMapping>;
}

export function portsOf(service: JsonMapping): PortMapping[] {
  return (service.ports ?? []) as unknown as PortMapping[];
}

export function mountsOf(service: JsonMapping): Mount[] {
  return (service.volumes ?? []) as unknown as Mount[];
}

/** The networks a service joins: those it names, else the implicit `default` (05-services.md "networks"). */
export function networksOf(service: JsonMapping): string[] {
  if (service.network_mode !== undefined) return [];
  const networks = service.networks;
  return isMapping(networks) ? Object.keys(networks) : ['default'];
}

export function dependsOnOf(service: JsonMapping): Record<string, { condition: string; required: boolean }> {
  return (service.depends_on ?? {}) as unknown as Record<string, { condition: string; required: boolean }>;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** 11-extension.md "Specifying durations": `{value}{unit}` repeated, e.g. `1m30s`; returns milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? Number.NaN);
    end = re.lastIndex;
  }
  if (text === '' || end !== text.length) throw new Error(`not a Compose duration: ${JSON.stringify(text)}`);
  return total;
}
