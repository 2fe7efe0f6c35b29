/**
 * Tiny synthetic ESP32 images for tests: an application image (header, segment header, app descriptor)
 * and a merged flash image (bootloader, partition table, app), laid out as ESP-IDF does
 * (docs/device-contract.md §5–§6).
 */

export interface AppImageOptions {
  /** Written into the app descriptor at offset 48. */
  readonly version: string;
  /** uint16 LE at offset 12 (9 = esp32s3). */
  readonly chipId?: number;
  readonly projectName?: string;
  readonly idf?: string;
  readonly time?: string;
  readonly date?: string;
  /** Total size in bytes; at least 288 (header + descriptor). The rest is a deterministic filler. */
  readonly size?: number;
  /** Varies the filler so two images of the same size differ. */
  readonly seed?: number;
}

/** An ESP32 application image: 0xE9, chip id at 12, `esp_app_desc_t` (magic 0xABCD5432) at 32. */
export function buildAppImage({
  version,
  chipId = 9,
  projectName = 'xiaozhi',
  idf = 'v5.4.1',
  time = '12:00:00',
  date = 'Aug  6 2026',
  size = 1024,
  seed = 0,
}: AppImageOptions): Buffer {
  const total = Math.max(size, 288);
  const image = Buffer.alloc(total);
  for (let i = 288; i < total; i++) image[i] = (i * 31 + seed * 7 + 11) & 0xff;
  image[0] = 0xe9; // ESP_IMAGE_HEADER_MAGIC
  image[1] = 1; // segment count
  image[2] = 2; // SPI mode DIO
  image[3] = 0x20; // flash size / speed
  image.writeUInt32LE(0x40375000, 4); // entry address
  image[8] = 0xee; // WP pin: disabled
  image.writeUInt16LE(chipId, 12);
  image.writeUInt32LE(0x3c000020, 24); // first segment: load address
  image.writeUInt32LE(256, 28); // first segment: length (the descriptor)
  image.writeUInt32LE(0xabcd5432, 32); // ESP_APP_DESC_MAGIC_WORD
  writeField(image, 48, 32, version);
  writeField(image, 80, 32, projectName);
  writeField(image, 112, 16, time);
  writeField(image, 128, 16, date);
  writeField(image, 144, 32, idf);
  return image;
}

export interface MergedImageOptions {
  readonly version?: string;
  readonly chipId?: number;
}

/**
 * A merged flash image as `idf.py merge-bin` writes it: the bootloader at 0x1000 on esp32 (0xFF before
 * it) or at 0 elsewhere, the partition table at 0x8000, the app at 0x10000.
 */
export function buildMergedImage({ version = '2.0.0', chipId = 9 }: MergedImageOptions = {}): Buffer {
  const app = buildAppImage({ version, chipId });
  const merged = Buffer.alloc(0x10000 + app.length, 0xff);
  const bootloaderAt = chipId === 0 ? 0x1000 : 0;
  const bootloader = Buffer.alloc(0x1000, 0);
  bootloader[0] = 0xe9;
  bootloader[1] = 3;
  bootloader.writeUInt16LE(chipId, 12);
  bootloader[32] = 0x50; // esp_bootloader_desc_t magic byte (IDF ≥ 5.3), not an app descriptor
  bootloader.copy(merged, bootloaderAt);
  merged[0x8000] = 0xaa; // ESP_PARTITION_MAGIC
  merged[0x8001] = 0x50;
  app.copy(merged, 0x10000);
  return merged;
}

function writeField(image: Buffer, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`"${text}" does not fit in ${length} bytes`);
  bytes.copy(image, offset);
}
