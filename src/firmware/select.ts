/**
 * The catalog's decision for one OTA check: which entry to offer, or why none (docs/configuration.md "Catalog":
 * Eligibility, Choice, Offered URL). Pure; the device guard still has the last word on the reply.
 */
import type { Origin } from '../config/types.js';
import type { DeviceFacts } from '../device/types.js';
import { renderTemplate } from '../config/template.js';
import { matchesGlob } from '../match/glob.js';
import { normalizeMac } from '../match/mac.js';
import type { VersionNumbers } from '../match/types.js';
import { compareVersions, parseVersionNumbers } from '../match/version.js';
import { inRollout, rolloutBucket } from './rollout.js';
import type {
  Catalog,
  CatalogEntry,
  FirmwareDecision,
  NoOfferReason,
  OfferGate,
  Withholding,
} from './types.js';

export interface OfferInput {
  readonly catalog: Catalog | null;
  readonly device: DeviceFacts;
  /** The request's effective origin (docs/configuration.md "Templates"). */
  readonly origin: Origin;
  /** `public_url`: a fixed origin wins over the request's. */
  readonly publicUrl: 'auto' | Origin;
  /** The fleet's blocks, halts and download tokens (docs/fleet.md "Protections"); absent = no fleet. */
  readonly gate?: OfferGate | undefined;
}

/**
 * The reasons an entry can fail, in the order the checks run. When nothing is offered, the reason
 * reported is that of the closest candidate: the entry that got furthest down this list (ties: the
 * higher version, then the earlier entry). "Not newer" comes right after the identity checks (board,
 * chip) so that a newer image held back by policy (rollout, exclude …) explains the outcome rather than
 * an older image that was never going to be offered. Pins (`force`) skip the "not newer" check.
 */
export const CHECK_ORDER = [
  'no-entry-for-board',
  'wrong-chip',
  'not-newer',
  'excluded',
  'not-in-devices',
  'outside-rollout',
  'below-min-version',
  'too-large-for-slot',
] as const satisfies readonly NoOfferReason[];

type EntryFailure = (typeof CHECK_ORDER)[number];

/** Ranks after every catalog check: a withheld entry passed them all. */
const WITHHELD = 'withheld';

/** The candidate that got furthest: failed a catalog check, or passed them all and was withheld by the fleet. */
type Closest = { readonly entry: CatalogEntry; readonly version: VersionNumbers } & (
  { readonly reason: EntryFailure } | { readonly reason: typeof WITHHELD; readonly held: Withholding }
);

/** Only the reason: the detail text is written once, for the entry that explains the outcome (failureDetail). */
type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: EntryFailure };

interface ParsedEntry {
  readonly version: VersionNumbers;
  readonly minVersion: VersionNumbers | null;
}

/** An entry's versions, parsed once: a loaded catalog never changes (the store swaps in a new one). */
const parsedEntries = new WeakMap<CatalogEntry, ParsedEntry>();

function parsedEntry(entry: CatalogEntry): ParsedEntry {
  let parsed = parsedEntries.get(entry);
  if (parsed === undefined) {
    parsed = {
      version: parseVersionNumbers(entry.version) ?? [],
      minVersion: entry.minVersion === null ? null : parseVersionNumbers(entry.minVersion),
    };
    parsedEntries.set(entry, parsed);
  }
  return parsed;
}

const OK: Verdict = { ok: true };

/** Builds remembered per catalog; a device population has a handful, the bound keeps odd ones from piling up. */
const MAX_CACHED_BUILDS = 1024;

/** The entries whose board glob matches a build name, per loaded catalog (which never changes: reloads swap it). */
const entriesByBuild = new WeakMap<Catalog, Map<string, readonly CatalogEntry[]>>();

/** Images belong to builds: the board glob is matched against the build name only (docs/configuration.md "Catalog"). */
function entriesForBuild(catalog: Catalog, build: string | null): readonly CatalogEntry[] {
  if (build === null) return [];
  let builds = entriesByBuild.get(catalog);
  if (builds === undefined) {
    builds = new Map();
    entriesByBuild.set(catalog, builds);
  }
  let entries = builds.get(build);
  if (entries === undefined) {
    entries = catalog.entries.filter((entry) => matchesGlob(entry.boardGlob, build));
    if (builds.size < MAX_CACHED_BUILDS) builds.set(build, entries);
  }
  return entries;
}

/** Decides what the catalog offers this device (docs/configuration.md "Catalog"). */
export function decideOffer({ catalog, device, origin, publicUrl, gate }: OfferInput): FirmwareDecision {
  if (catalog === null) return none('no-catalog', 'no firmware catalog');
  const running = device.version === null ? null : parseVersionNumbers(device.version);
  if (running === null) {
    // The device compares versions itself; without ours we cannot know what is newer (docs/configuration.md).
    return none(
      'unknown-version',
      device.version === null
        ? 'running version unknown'
        : `running version "${device.version}" is not readable`,
    );
  }
  const runningText = device.version ?? '';
  const facts = readFacts(device);

  let pin: CatalogEntry | null = null;
  let best: { entry: CatalogEntry; version: VersionNumbers } | null = null;
  let closest: Closest | null = null;

  for (const entry of entriesForBuild(catalog, facts.build)) {
    const parsed = parsedEntry(entry);
    const { version } = parsed;
    const verdict = checkEntry(entry, parsed, running, facts);
    if (verdict.ok) {
      if (entry.force) {
        // The first eligible pin in the file decides, whatever comes after it.
        pin = entry;
        break;
      }
      const held = gate?.withheld(entry) ?? null;
      if (held !== null) {
        // Withheld entries passed every catalog check: the closest candidates of all.
        if (closest === null || isCloser(WITHHELD, version, closest))
          closest = { entry, version, reason: WITHHELD, held };
        continue;
      }
      if (best === null || compareVersions(version, best.version) > 0) best = { entry, version };
      continue;
    }
    if (closest === null || isCloser(verdict.reason, version, closest))
      closest = { entry, version, reason: verdict.reason };
  }

  if (pin !== null) {
    const pinVersion = parseVersionNumbers(pin.version) ?? [];
    if (compareVersions(pinVersion, running) === 0) {
      // force: 1 with the running version re-flashes every boot (docs/device-contract.md §3): the pin holds.
      return none('pinned-current', `${label(pin)}: pinned, and the device already runs ${runningText}`);
    }
    // A withheld pin still holds: the device keeps what it runs (docs/fleet.md "Pins").
    const held = gate?.withheld(pin) ?? null;
    if (held !== null) return none(held.reason, `${label(pin)}: ${held.detail}`);
    return {
      kind: 'offer',
      entry: pin,
      version: pin.version,
      url: offeredUrl(pin, origin, publicUrl, gate),
      force: true,
    };
  }
  if (best !== null) {
    return {
      kind: 'offer',
      entry: best.entry,
      version: best.entry.version,
      url: offeredUrl(best.entry, origin, publicUrl, gate),
      force: false,
    };
  }
  if (closest === null) {
    if (catalog.entries.length === 0) return none('no-entry-for-board', 'the catalog has no entries');
    return none(
      'no-entry-for-board',
      facts.build === null ? 'build name unknown' : `no entry for build "${facts.build}"`,
    );
  }
  if (closest.reason === WITHHELD)
    return none(closest.held.reason, `${label(closest.entry)}: ${closest.held.detail}`);
  return none(closest.reason, failureDetail(closest.entry, closest.reason, runningText, facts));
}

interface Facts {
  readonly build: string | null;
  readonly chip: string | null;
  /** Normalised MAC, else the id as sent (lowercase), else null. */
  readonly mac: string | null;
  readonly id: string | null;
  /** Bytes the image may take, or `null` when the partition sizes are unknown. */
  readonly slotLimit: { readonly slot: string; readonly bytes: number } | null;
}

function readFacts(device: DeviceFacts): Facts {
  const id = device.id === null || device.id === '' ? null : device.id;
  return {
    build: device.build,
    chip: device.chip === null || device.chip.trim() === '' ? null : device.chip.trim().toLowerCase(),
    mac: id === null ? null : (normalizeMac(id) ?? id),
    id,
    slotLimit: slotLimit(device),
  };
}

/**
 * The size of the slot the device will write: the ota_0/ota_1 not named in `ota.label` (`factory`
 * writes ota_0); the smaller of the two when the running slot is unknown (docs/configuration.md "Catalog").
 */
function slotLimit(device: DeviceFacts): { readonly slot: string; readonly bytes: number } | null {
  const { ota0, ota1 } = device.slotSizes;
  const label = device.runningSlot?.trim().toLowerCase() ?? null;
  const target = label === 'ota_0' ? 'ota_1' : label === 'ota_1' || label === 'factory' ? 'ota_0' : null;
  const targetSize = target === 'ota_0' ? ota0 : target === 'ota_1' ? ota1 : null;
  if (target !== null && targetSize !== null) return { slot: target, bytes: targetSize };
  const known = [
    ota0 === null ? null : { slot: 'ota_0', bytes: ota0 },
    ota1 === null ? null : { slot: 'ota_1', bytes: ota1 },
  ].filter((s): s is { slot: string; bytes: number } => s !== null);
  if (known.length === 0) return null;
  return known.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

/**
 * Runs on every entry for the device's build (entriesForBuild did the board match), on every check: no
 * strings are built here (failureDetail writes the one reported).
 */
function checkEntry(
  entry: CatalogEntry,
  parsed: ParsedEntry,
  running: VersionNumbers,
  facts: Facts,
  anyVersion = false,
): Verdict {
  // Skipped when the device does not say; a chip name we do not know never matches an image.
  if (facts.chip !== null && entry.image.chip !== facts.chip) return fail('wrong-chip');
  if (!anyVersion && !entry.force && compareVersions(parsed.version, running) <= 0) return fail('not-newer');
  if (facts.mac !== null && entry.exclude.includes(facts.mac)) return fail('excluded');
  if (entry.devices !== null && (facts.mac === null || !entry.devices.includes(facts.mac)))
    return fail('not-in-devices');
  // Without an id a device has no stable bucket: only full rollouts reach it (docs/configuration.md "Catalog").
  if (
    entry.rollout < 100 &&
    (facts.id === null || !inRollout(rolloutBucket(facts.id, entry.board, entry.version), entry.rollout))
  ) {
    return fail('outside-rollout');
  }
  if (parsed.minVersion !== null && compareVersions(running, parsed.minVersion) < 0)
    return fail('below-min-version');
  if (facts.slotLimit !== null && entry.size > facts.slotLimit.bytes) return fail('too-large-for-slot');
  return OK;
}

/** The log text for the entry that explains why nothing is offered. */
function failureDetail(entry: CatalogEntry, reason: EntryFailure, runningText: string, facts: Facts): string {
  switch (reason) {
    case 'no-entry-for-board':
      return `${label(entry)}: board does not match build ${facts.build === null ? '(unknown)' : `"${facts.build}"`}`;
    case 'wrong-chip':
      return `${label(entry)}: image is for ${entry.image.chip ?? `chip id ${entry.image.chipId}`}, device is ${facts.chip ?? '(unknown)'}`;
    case 'not-newer':
      return `${label(entry)}: not newer than the running ${runningText}`;
    case 'excluded':
      return `${label(entry)}: device ${facts.mac ?? '(no id)'} is excluded`;
    case 'not-in-devices':
      return `${label(entry)}: device ${facts.mac ?? '(no id)'} is not in devices`;
    case 'outside-rollout':
      return facts.id === null
        ? `${label(entry)}: outside rollout (no device id, rollout ${entry.rollout} %)`
        : `${label(entry)}: outside rollout (bucket ${rolloutBucket(facts.id, entry.board, entry.version)} ≥ ${Math.round(entry.rollout * 100)})`;
    case 'below-min-version':
      return `${label(entry)}: running ${runningText} is below min_version ${entry.minVersion ?? ''}`;
    case 'too-large-for-slot':
      return `${label(entry)}: image of ${entry.size} bytes does not fit ${facts.slotLimit?.slot ?? 'the slot'} (${facts.slotLimit?.bytes ?? '?'} bytes)`;
    default: {
      const never: never = reason;
      return never;
    }
  }
}

function isCloser(
  reason: EntryFailure | typeof WITHHELD,
  version: VersionNumbers,
  than: Pick<Closest, 'reason' | 'version'>,
): boolean {
  const a = rank(reason);
  const b = rank(than.reason);
  if (a !== b) return a > b;
  return compareVersions(version, than.version) > 0;
}

function rank(reason: EntryFailure | typeof WITHHELD): number {
  return reason === WITHHELD ? CHECK_ORDER.length : CHECK_ORDER.indexOf(reason);
}

/**
 * The entry's `url` rendered for this request, else `<public_url or origin>/firmware/<file>`, or
 * `…/firmware/<token>/<file>` when the fleet gives the device a download token (docs/fleet.md "Download tokens").
 */
function offeredUrl(
  entry: CatalogEntry,
  origin: Origin,
  publicUrl: 'auto' | Origin,
  gate: OfferGate | undefined,
): string {
  const base = publicUrl === 'auto' ? origin : publicUrl;
  if (entry.url !== null) return renderTemplate(entry.url, base, 'http');
  const token = gate?.downloadToken?.(entry.file) ?? null;
  if (token !== null) return `${originText(base)}/firmware/${token}/${entry.file}`;
  return `${originText(base)}/firmware/${entry.file}`;
}

/**
 * Whether an entry targets a device whatever it runs (docs/fleet.md "Interfaces": rollouts' eligible known
 * devices): board, chip, `devices`/`exclude`, rollout bucket, `min_version` and slot size when known; the
 * "newer than the running version" check is left out.
 */
export function targetsDevice(entry: CatalogEntry, device: DeviceFacts): boolean {
  const facts = readFacts(device);
  if (facts.build === null || !matchesGlob(entry.boardGlob, facts.build)) return false;
  const running = device.version === null ? null : parseVersionNumbers(device.version);
  const parsed = parsedEntry(entry);
  // An unreadable running version cannot be shown to meet a min_version.
  if (running === null) return parsed.minVersion === null && checkEntry(entry, parsed, [], facts, true).ok;
  return checkEntry(entry, parsed, running, facts, true).ok;
}

function originText({ scheme, host, port }: Origin): string {
  const defaultPort = scheme === 'https' ? 443 : 80;
  // Origin.host has IPv6 in brackets already (config/types.ts); bracket a bare one defensively.
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === defaultPort ? `${scheme}://${h}` : `${scheme}://${h}:${port}`;
}

function label(entry: CatalogEntry): string {
  return `${entry.board} ${entry.version} (catalog[${entry.index}], ${entry.file})`;
}

/** One object per reason, shared: a failed check allocates nothing. */
const FAILURES = Object.fromEntries(
  CHECK_ORDER.map((reason) => [reason, { ok: false, reason }]),
) as unknown as { readonly [R in EntryFailure]: Verdict };

function fail(reason: EntryFailure): Verdict {
  return FAILURES[reason];
}

function none(reason: NoOfferReason, detail: string): FirmwareDecision {
  return { kind: 'none', reason, detail };
}
