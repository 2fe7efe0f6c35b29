/** `when:` blocks of the configuration (docs/configuration.md "Conditions: `when:` lists"), compiled to Condition. */
import type { Cidr, Condition, Glob, VersionRange } from '../match/types.js';
import { parseCidr } from '../match/cidr.js';
import { compileGlob } from '../match/glob.js';
import { normalizeMac } from '../match/mac.js';
import { parseVersionRange } from '../match/version.js';
import { keysSchema, ref } from './json-schema.js';
import { custom, list, optional, parsed, readKeys, scalar, text } from './key-definitions.js';
import type { JsonSchema, LeafDef } from './key-definitions.js';
import type { Converted, Field, YamlReader } from './yaml-source.js';

const cidr = (doc: string, example: string): LeafDef<Cidr> =>
  parsed({
    doc,
    expected: `a CIDR block such as ${example} or fd00::/8, or a single address`,
    parse: (text) => {
      const block = parseCidr(text);
      return block === null ? null : { value: block };
    },
  });

const glob = (what: string, doc: string): LeafDef<Glob> =>
  text({
    doc,
    expected: `a ${what} or a glob with * and ?`,
    minLength: 1,
    accept: (t) => ({ value: compileGlob(t) }),
  });

/** A MAC address, normalised to lowercase colon form (docs/device-contract.md §1: `Device-Id`). */
export const MAC = scalar({
  doc: 'A device id: a MAC address such as aa:bb:cc:dd:ee:ff',
  expected: 'a MAC address such as aa:bb:cc:dd:ee:ff',
  // `112233445566` unquoted is a YAML number: the text as written is the MAC.
  convert: (value, written) => {
    const mac = normalizeMac(typeof value === 'number' ? written : typeof value === 'string' ? value : '');
    return mac === null ? null : { value: mac };
  },
  schema: { type: ['string', 'integer'] },
});

/** A `when:` block (docs/configuration.md "Conditions: `when:` lists"): each key one value or a list. */
const CONDITION_KEYS = {
  source: optional(
    list(cidr("The device's address", '192.168.1.0/24'), {
      doc: "The device's address: CIDR blocks",
      single: true,
    }),
  ),
  host: optional(
    list(glob('host name', 'A host name'), {
      doc: 'The host name the device asked for (never public_url): globs, case-insensitive',
      single: true,
    }),
  ),
  board: optional(
    list(glob('board name', 'A board'), {
      doc: 'The build name or the board type: globs, case-insensitive',
      single: true,
    }),
  ),
  devices: optional(list(MAC, { doc: 'Device ids (MAC addresses)', single: true })),
  version: optional(
    list(
      text({
        doc: 'Version constraints',
        // A number is refused with a hint to quote it: YAML reads 1.10 as 1.1 (docs/configuration.md "The file").
        expected: 'a quoted version constraint such as ">=1.6.0 <1.8.0"',
        accept: (t): Converted<VersionRange> => {
          const range = parseVersionRange(t);
          return typeof range === 'string' ? range : { value: range };
        },
      }),
      {
        doc: 'The running version: constraints such as ">=2.0.0" or ">=1.6.0 <1.8.0", in quotes',
        single: true,
      },
    ),
  ),
};

/** The schema of a `when:` block, shared by every `when:` list as `#/definitions/when`. */
export const WHEN_SCHEMA: JsonSchema = {
  description: 'Which devices the item is for: every key given must match; a list matches any of its members',
  ...keysSchema(CONDITION_KEYS, { nullable: true }),
};

/** Reads a `when:` block; absent or `null` is the empty condition (matches every device). */
export function readCondition(r: YamlReader, field: Field): Condition | undefined {
  const kind = r.kind(field);
  if (kind === 'failed') return undefined;
  if (kind !== 'absent' && kind !== 'null' && kind !== 'map') return r.fail(field, 'a mapping of keys');
  return readKeys(r, field, CONDITION_KEYS).values;
}

/** `when:` in an item: which devices it is for; none = every device. */
export const WHEN = custom({
  doc: 'Which devices this item is for; without it, every device',
  default: {},
  read: readCondition,
  schema: ref('when'),
});

/** `trusted_proxies`: a CIDR or a list of them; `[]` trusts nobody. */
export const TRUSTED_PROXIES = list(cidr('A trusted peer', '10.0.0.0/8'), {
  doc: 'Peers whose X-Forwarded-For/-Host/-Proto are believed (CIDRs); [] trusts nobody',
  default: ['127.0.0.0/8', '::1/128'],
  single: true,
  nonEmpty: false,
});

/** Whether a condition has no keys, i.e. matches every device. */
export function isCatchAll(cond: Condition): boolean {
  return Object.keys(cond).length === 0;
}
