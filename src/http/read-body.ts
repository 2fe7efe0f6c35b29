/** Reads a device's request body with a hard limit (docs/configuration.md `limits.device_body_bytes`). */
import type { IncomingMessage } from 'node:http';

export type DeviceBody =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'too-large' }
  /** The client went away or sent a broken body: nothing to answer. */
  | { readonly kind: 'aborted' };

/**
 * A declared length over the limit is refused before a byte is read (413 before anything goes upstream).
 * A body that crosses the limit while streaming (chunked) is refused at once; the rest is discarded, not
 * the request destroyed, so its socket is still there to carry the 413.
 */
export function readDeviceBody(req: IncomingMessage, limit: number): Promise<DeviceBody> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: DeviceBody): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done({ kind: 'too-large' });
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      done(req.complete ? { kind: 'ok', bytes: Buffer.concat(chunks, size) } : { kind: 'aborted' });
    // Closed before `end`: the client went away mid-body (a destroyed request emits no `end`).
    const onClose = (): void =>
      done(
        req.complete && req.readableEnded
          ? { kind: 'ok', bytes: Buffer.concat(chunks, size) }
          : { kind: 'aborted' },
      );
    // Errors end the request with `close`; this listener only keeps one from being unhandled.
    req.on('error', () => {});
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}
