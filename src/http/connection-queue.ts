/**
 * One request answered at a time per connection. Node emits every request of a read at once, pipelined or
 * not, and each would start its own upstream exchange: thousands written at once on one connection took
 * hundreds of MB and starved every other device. Devices never pipeline (docs/device-contract.md §1: one
 * request, `Connection: close`), so here a request that arrives while another on its connection is still
 * being answered waits its turn — its handler, and so its upstream clock, not yet started — and the socket
 * is not read while requests wait. Beyond `maxWaiting` waiting requests the connection is refused: the
 * requests before are answered in order, then one framed reply closes it. Pipelined requests of all
 * connections take turns one at a time, so that many pipelining connections weigh no more than one busy
 * client; a request that comes alone — what devices send — never waits for them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ConnectionQueueOptions {
  /** Requests that may wait behind the one being answered, per connection. */
  readonly maxWaiting: number;
  /** Answers a request beyond the limit; must close the connection (it is never read again). */
  readonly refuse: RequestHandler;
}

/** Node's own read-pause state on server sockets (`_http_server.js`: `socket._paused`, `socket.parser`). */
type ServerSocket = Socket & {
  _paused?: boolean;
  parser?: { pause(): void; resume(): void } | null;
};

interface Lane {
  readonly socket: ServerSocket;
  busy: boolean;
  refused: boolean;
  /** Reading is held off by this queue (Node may resume a socket on its own: see `holdReading`). */
  held: boolean;
  readonly waiting: { readonly req: IncomingMessage; readonly res: ServerResponse }[];
}

/** Pipelined requests being answered at once, over all connections. */
const PIPELINED_AT_ONCE = 1;

/** Wraps `handle` so that each connection has at most one request being handled. */
export function queuePerConnection(
  handle: RequestHandler,
  { maxWaiting, refuse }: ConnectionQueueOptions,
): RequestHandler {
  const lanes = new WeakMap<Socket, Lane>();
  // The turns of waiting requests: each entry starts one (or finds its connection gone and passes).
  let pipelinedActive = 0;
  const turns: (() => boolean)[] = [];
  const nextTurn = (): void => {
    while (pipelinedActive < PIPELINED_AT_ONCE) {
      const start = turns.shift();
      if (start === undefined) return;
      if (start()) pipelinedActive += 1;
    }
  };

  /** Queues a pipelined request for its turn (its connection is busy meanwhile). */
  const takeTurn = (lane: Lane, req: IncomingMessage, res: ServerResponse): void => {
    turns.push(() => {
      if (lane.socket.destroyed) {
        lane.waiting.length = 0;
        return false;
      }
      run(lane, req, res, true);
      return true;
    });
    nextTurn();
  };

  const run = (lane: Lane, req: IncomingMessage, res: ServerResponse, pipelined: boolean): void => {
    lane.busy = true;
    res.once('close', () => {
      if (pipelined) {
        pipelinedActive -= 1;
        nextTurn();
      }
      lane.busy = false;
      // A closed connection's waiting requests were aborted by Node: nothing left to answer.
      if (lane.socket.destroyed) {
        lane.waiting.length = 0;
        return;
      }
      const next = lane.waiting.shift();
      if (next === undefined) {
        if (!lane.refused) readAgain(lane);
        return;
      }
      lane.busy = true;
      takeTurn(lane, next.req, next.res);
    });
    // A request that waited may not have its whole body yet (the read that brought it ended inside it):
    // read on, or its handler would wait for bytes that never come. The next request to arrive holds
    // reading again — by then every earlier body is complete.
    if (!req.complete) readAgain(lane);
    handle(req, res);
  };

  return (req, res) => {
    const lane = laneOf(lanes, req.socket as ServerSocket);
    if (lane.refused) {
      // Closing after an earlier refusal: this reply is never written (it follows the closing one), but no
      // request is left without an answer.
      holdReading(lane);
      refuse(req, res);
      return;
    }
    if (!lane.busy) {
      lane.busy = true;
      // Decided once the read that brought it is parsed (microtasks run after it): alone, as devices send
      // it, it runs at once; followed by more in that read, the connection pipelines from the start and
      // this one takes its turn with the other pipelined requests.
      queueMicrotask(() => {
        if (lane.waiting.length === 0) run(lane, req, res, false);
        else takeTurn(lane, req, res);
      });
      return;
    }
    holdReading(lane);
    if (lane.waiting.length < maxWaiting) {
      lane.waiting.push({ req, res });
      return;
    }
    lane.refused = true;
    refuse(req, res);
  };
}

function laneOf(lanes: WeakMap<Socket, Lane>, socket: ServerSocket): Lane {
  const known = lanes.get(socket);
  if (known !== undefined) return known;
  const lane: Lane = { socket, busy: false, refused: false, held: false, waiting: [] };
  lanes.set(socket, lane);
  // Node resumes a paused socket by itself whenever a queued reply is flushed (`socketOnDrain`): while this
  // queue holds reading, that resume is undone before anything is read (Node's own 'resume' listener,
  // registered first, has just restarted reading; this one stops it again in the same tick).
  socket.on('resume', () => {
    if (lane.held) pause(socket);
  });
  return lane;
}

/** Stops reading the connection, the way Node does itself when replies pile up (`parserOnIncoming`). */
function holdReading(lane: Lane): void {
  lane.held = true;
  pause(lane.socket);
}

/** Reads again, as Node's `socketOnDrain` does; while the socket's write buffer is full, its drain does it. */
function readAgain(lane: Lane): void {
  lane.held = false;
  const { socket } = lane;
  if (socket._paused !== true || socket.writableNeedDrain) return;
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}

/** Node sees `_paused` after the current read is parsed and pauses its parser too (`onParserExecuteCommon`). */
function pause(socket: ServerSocket): void {
  socket._paused = true;
  socket.pause();
}
