/**
 * What the console's Firmware page asks of the firmware services: an upload checked (dry run) or added,
 * and an entry's rollout changed. They are the services behind `POST /admin/api/firmware` and
 * `PATCH /admin/api/catalog/{entry_id}`, so the checks, the catalog write and the audit are the same.
 */
import type { Actor } from '../../fleet/types.js';

export interface UploadRequest {
  readonly image: Buffer;
  /** The file name the browser sent (shown only). */
  readonly name: string;
  readonly board: string;
  readonly rollout: number | null;
}

export type UploadVerdict =
  | {
      readonly ok: true;
      readonly board: string;
      readonly version: string;
      readonly chip: string | null;
      readonly file: string;
      readonly size: number;
      readonly sha256: string;
      readonly rollout: number;
      readonly entryId: string;
    }
  | { readonly ok: false; readonly reason: string };

export interface FirmwareOperations {
  /** The largest image accepted. */
  readonly maxUploadBytes: number;
  /** Checks the image exactly as an upload would, writing nothing. */
  preview(upload: UploadRequest, actor: Actor): Promise<UploadVerdict>;
  /** Writes the image and appends its entry (audited); refused with nothing changed on any failed check. */
  commit(upload: UploadRequest, actor: Actor): Promise<UploadVerdict>;
  /** Changes an entry's `rollout` (audited). */
  setRollout(
    entryId: string,
    percent: number,
    actor: Actor,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;
}
