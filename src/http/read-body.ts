/** Reads a device's request body with a hard limit (CONFIG.md `limits.device_body_bytes`). */
import type { IncomingMessage } from 'node:http';

export type DeviceBody =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'too-large' }
  /** The client went away or sent a broken body: nothing to answer. */
  | { readonly kind: 'aborted' };

/** A declared length over the limit is refused before a byte is read (413 before anything goes upstream). */
export async function readDeviceBody(req: IncomingMessage, limit: number): Promise<DeviceBody> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return { kind: 'too-large' };
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) return { kind: 'too-large' };
      chunks.push(chunk);
    }
  } catch {
    return { kind: 'aborted' };
  }
  if (!req.complete) return { kind: 'aborted' };
  return { kind: 'ok', bytes: Buffer.concat(chunks, size) };
}
