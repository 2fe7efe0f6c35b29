/**
 * How a tracked download's connection ended (docs/fleet.md "Update attempts": `downloaded` needs every byte
 * written and the connection then closed without error; a reset after the last write is
 * `download-aborted`).
 *
 * Node destroys a `Connection: close` socket as soon as the last byte is handed to the kernel, so a client
 * that dies before reading it, or resets afterwards, would go unseen. For a tracked download the socket
 * only half-closes instead (`end()`, what Node itself does for sockets without `destroySoon`) and waits
 * for the client's own close: a FIN is clean, a reset is not. A client that neither closes nor resets
 * within `lingerMs` is cut; every byte was written and no error was seen, so that counts as clean.
 * Only tracked downloads are watched: with the fleet off nothing about the connection changes.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type DownloadEnd = 'clean' | 'reset';

/** Call before the response's last write; resolves when the connection is gone. */
export function watchDownloadEnd(res: ServerResponse, lingerMs: number): Promise<DownloadEnd> {
  const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (socket === null || socket.destroyed) return Promise.resolve('reset');
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    // Half-close instead of destroying: the client's FIN or reset is what tells how the download ended.
    // (A kept-alive connection is not closed by the response: it ends when the client or the server's
    // keep-alive timeout closes it.)
    socket.destroySoon = function halfClose(this: Socket) {
      if (this.writable) this.end();
      timer = setTimeout(() => this.destroy(), lingerMs);
      timer.unref();
    };
    socket.once('close', (hadError: boolean) => {
      clearTimeout(timer);
      resolve(hadError ? 'reset' : 'clean');
    });
  });
}
