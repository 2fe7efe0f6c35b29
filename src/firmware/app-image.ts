/**
 * Reads what an ESP32 file says about itself from its first bytes: an application image (the only
 * thing a device can flash over OTA), a merged/bootloader flash image, or neither
 * (docs/device-contract.md §5–§6; ESP-IDF `esp_image_header_t` and `esp_app_desc_t`).
 */
import type { AppImageInfo } from './types.js';

/** Bytes the caller should read from the start of a file so that every rule below can be applied. */
export const APP_IMAGE_HEADER_BYTES = 0x9000 + 2;

/** First byte of every ESP image (`ESP_IMAGE_HEADER_MAGIC`). */
const IMAGE_MAGIC = 0xe9;
/** `ESP_APP_DESC_MAGIC_WORD`, uint32 LE at offset 32: the first segment of an app starts with its descriptor. */
const APP_DESC_MAGIC = 0xabcd5432;
const APP_DESC_OFFSET = 32;
/** The descriptor's strings: offset and length, NUL-padded (docs/device-contract.md §5). */
const FIELD_VERSION = { offset: 48, length: 32 } as const;
const FIELD_PROJECT = { offset: 80, length: 32 } as const;
const FIELD_TIME = { offset: 112, length: 16 } as const;
const FIELD_DATE = { offset: 128, length: 16 } as const;
const FIELD_IDF = { offset: 144, length: 32 } as const;
/** Bytes an app image must hold for every descriptor field above to be read. */
const APP_MIN_BYTES = FIELD_IDF.offset + FIELD_IDF.length;
/** uint16 LE `chip_id` in the image header (docs/device-contract.md §5). */
const CHIP_ID_OFFSET = 12;
/** Offsets where a merged flash image carries the bootloader when it is not at 0 (esp32: 0x1000; esp32c5/p4: 0x2000). */
const BOOTLOADER_OFFSETS = [0x1000, 0x2000] as const;
/** Offsets where a merged flash image carries the partition table (the default 0x8000, and 0x9000 with a larger bootloader). */
const PARTITION_TABLE_OFFSETS = [0x8000, 0x9000] as const;
/** `ESP_PARTITION_MAGIC` as stored: 0xAA 0x50. */
const PARTITION_MAGIC = [0xaa, 0x50] as const;

/** Image chip ids and ESP-IDF target names (docs/device-contract.md §6; `esp_chip_id_t`). */
const CHIPS: ReadonlyMap<number, string> = new Map([
  [0, 'esp32'],
  [2, 'esp32s2'],
  [5, 'esp32c3'],
  [9, 'esp32s3'],
  [12, 'esp32c2'],
  [13, 'esp32c6'],
  [16, 'esp32h2'],
  [18, 'esp32p4'],
  [20, 'esp32c61'],
  [23, 'esp32c5'],
]);
const CHIP_IDS: ReadonlyMap<string, number> = new Map([...CHIPS].map(([id, name]) => [name, id]));

export type AppImageKind =
  | { readonly kind: 'app'; readonly info: AppImageInfo }
  /** A whole-flash image (bootloader, partition table, app) or a lone bootloader: not flashable over OTA. */
  | { readonly kind: 'merged' }
  | { readonly kind: 'not-an-image'; readonly reason: string };

/** The ESP-IDF target name for an image chip id, or `null` for an id we do not know. */
export function chipNameForId(id: number): string | null {
  return CHIPS.get(id) ?? null;
}

/** The image chip id for an ESP-IDF target name (`esp32s3` → 9), case-insensitive; `null` when unknown. */
export function chipIdForName(name: string): number | null {
  return CHIP_IDS.get(name.trim().toLowerCase()) ?? null;
}

/**
 * Classifies a file from its first bytes (pass at least `APP_IMAGE_HEADER_BYTES`, or the whole file
 * when shorter). `merged` covers every image that starts with a bootloader rather than an app.
 */
export function readAppImage(header: Uint8Array): AppImageKind {
  if (header.length === 0) return { kind: 'not-an-image', reason: 'the file is empty' };
  if (header[0] === IMAGE_MAGIC) {
    if (header.length >= APP_DESC_OFFSET + 4 && readUint32LE(header, APP_DESC_OFFSET) === APP_DESC_MAGIC) {
      if (header.length < APP_MIN_BYTES) {
        return {
          kind: 'not-an-image',
          reason: `the file is truncated (${header.length} bytes, an app image holds at least ${APP_MIN_BYTES})`,
        };
      }
      return { kind: 'app', info: readInfo(header) };
    }
    // An image without an app descriptor at 32 is a bootloader: on every chip but esp32 (and c5/p4)
    // a merged flash image starts with one at offset 0.
    if (header.length > APP_DESC_OFFSET) return { kind: 'merged' };
    return { kind: 'not-an-image', reason: `the file is truncated (${header.length} bytes)` };
  }
  if (startsWithPaddingThenBootloader(header) || hasPartitionTable(header)) return { kind: 'merged' };
  return {
    kind: 'not-an-image',
    reason: `it does not start with the ESP image magic byte 0xE9 (found 0x${hex2(header[0] ?? 0)})`,
  };
}

/** esp32 merged images are 0xFF up to the bootloader at 0x1000 (0x2000 on esp32c5/esp32p4). */
function startsWithPaddingThenBootloader(bytes: Uint8Array): boolean {
  for (const offset of BOOTLOADER_OFFSETS) {
    if (bytes.length <= offset || bytes[offset] !== IMAGE_MAGIC) continue;
    if (bytes.subarray(0, offset).every((b) => b === 0xff)) return true;
  }
  return false;
}

function hasPartitionTable(bytes: Uint8Array): boolean {
  return PARTITION_TABLE_OFFSETS.some(
    (offset) =>
      bytes.length >= offset + 2 &&
      bytes[offset] === PARTITION_MAGIC[0] &&
      bytes[offset + 1] === PARTITION_MAGIC[1],
  );
}

function readInfo(bytes: Uint8Array): AppImageInfo {
  const chipId = (bytes[CHIP_ID_OFFSET] ?? 0) | ((bytes[CHIP_ID_OFFSET + 1] ?? 0) << 8);
  return {
    chipId,
    chip: chipNameForId(chipId),
    version: readCString(bytes, FIELD_VERSION),
    projectName: readCString(bytes, FIELD_PROJECT),
    compileTime: readCString(bytes, FIELD_TIME),
    compileDate: readCString(bytes, FIELD_DATE),
    idfVersion: readCString(bytes, FIELD_IDF),
  };
}

const utf8 = new TextDecoder('utf-8');

/** A fixed-size `char[]`: up to the first NUL, or the whole field when it has none. */
function readCString(bytes: Uint8Array, field: { readonly offset: number; readonly length: number }): string {
  const raw = bytes.subarray(field.offset, field.offset + field.length);
  const nul = raw.indexOf(0);
  return utf8.decode(nul === -1 ? raw : raw.subarray(0, nul));
}

function readUint32LE(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      ((bytes[offset + 3] ?? 0) << 24)) >>>
    0
  );
}

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}
