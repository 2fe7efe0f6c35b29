/**
 * Images checked by the upload's dry run, held until the operator confirms (or for STAGE_MS): the console's
 * two-step upload without sending the image twice. Bounded in count and bytes; held by the replica that
 * answered the preview (on another one the commit asks for the upload again: docs/console.md "Firmware").
 */
import { randomBytes } from 'node:crypto';

/** An image the dry run accepted, with what the form said. */
export interface StagedUpload {
  readonly image: Uint8Array;
  /** The file name the browser sent (shown only). */
  readonly name: string;
  readonly board: string;
  readonly rollout: number | null;
}

export const STAGE_MS = 15 * 60_000;
const MAX_STAGED = 4;

interface Staged {
  readonly upload: StagedUpload;
  /** The session that previewed it: only it may commit it. */
  readonly nonce: string;
  readonly expires: number;
}

export class UploadStaging {
  readonly #held = new Map<string, Staged>();

  /** Holds an upload; the oldest goes when more than MAX_STAGED are held. */
  hold(upload: StagedUpload, nonce: string, now: number): string {
    this.#expire(now);
    while (this.#held.size >= MAX_STAGED) {
      const oldest = this.#held.keys().next().value;
      if (oldest === undefined) break;
      this.#held.delete(oldest);
    }
    const id = randomBytes(12).toString('base64url');
    this.#held.set(id, { upload, nonce, expires: now + STAGE_MS });
    return id;
  }

  /** Takes a held upload out (once), when it is this session's and not expired. */
  take(id: string, nonce: string, now: number): StagedUpload | null {
    this.#expire(now);
    const staged = this.#held.get(id);
    if (staged === undefined || staged.nonce !== nonce) return null;
    this.#held.delete(id);
    return staged.upload;
  }

  #expire(now: number): void {
    for (const [id, staged] of this.#held) if (staged.expires <= now) this.#held.delete(id);
  }
}
