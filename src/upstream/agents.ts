/**
 * The upstream connection pools for plain HTTP exchanges (never for WebSocket upgrades).
 *
 * - `buffered`: an undici dispatcher for the exchanges whose whole reply the proxy reads before answering
 *   (the OTA check, GET, activate, /admin/explain's live ask, buffered relays): the hot path. undici's
 *   dispatch costs about 30 µs and 10 KiB per exchange where Node's `http.request` costs 50 µs and 17 KiB
 *   (BENCHMARKS.md, issue 13).
 * - `http`/`https`: Node keep-alive agents for the streamed exchanges (download relays, the passthrough),
 *   whose replies are piped to the client. Each holds two pools: `device` (download relays) and
 *   `passthrough` (every other path). Node limits sockets per pool name (`maxSockets` is per `getName()`),
 *   so held passthrough requests can never take the sockets OTA checks need (docs/configuration.md "Fleet
 *   and hardening amendments"); the buffered exchanges have their own dispatcher and never share with them.
 */
import http, { type ClientRequestArgs } from 'node:http';
import https from 'node:https';
import { Pool as UndiciPool } from 'undici';
import type { UpstreamTarget } from '../config/types.js';

/** Which upstream capacity a streamed exchange draws on. */
export type Pool = 'device' | 'passthrough';

/** Request options carrying the pool (Node hands every request option to the agent's `getName`). */
export interface PoolOption {
  readonly pool?: Pool;
}

class PooledHttpAgent extends http.Agent {
  override getName(options?: ClientRequestArgs & PoolOption): string {
    return `${super.getName(options)}|${options?.pool ?? 'device'}`;
  }
}

class PooledHttpsAgent extends https.Agent {
  override getName(options?: https.RequestOptions & PoolOption): string {
    return `${super.getName(options)}|${options?.pool ?? 'device'}`;
  }
}

/**
 * undici pools for the buffered exchanges, one per upstream origin (the configured upstream; a reload may
 * name another). Not undici's `Agent`: it closes an origin's pool whenever its last connection drops, and
 * the pool it then opens makes a connection of its own beside the one the next exchange opens.
 */
export class BufferedPools {
  readonly #pools = new Map<string, UndiciPool>();
  readonly #connections: number;

  constructor(connections: number) {
    this.#connections = connections;
  }

  /** The pool for `origin` (`http://host:port`), made on first use. */
  pool(origin: string): UndiciPool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      // One request per connection at a time: no pipelining, so a slow reply never holds the next device's.
      pool = new UndiciPool(origin, { connections: this.#connections, pipelining: 1 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Connections carrying an exchange right now. */
  busy(): number {
    let count = 0;
    for (const pool of this.#pools.values()) count += pool.stats.connected - pool.stats.free;
    return count;
  }

  destroy(): void {
    // Open exchanges end with an error their own path reports; nothing waits for these promises.
    for (const pool of this.#pools.values()) pool.destroy().catch(() => undefined);
    this.#pools.clear();
  }
}

export interface UpstreamAgents {
  /** Buffered exchanges (gateway/upstream-verdict.ts UpstreamExchange), both schemes. */
  readonly buffered: BufferedPools;
  readonly http: http.Agent;
  readonly https: https.Agent;
  /** Upstream connections carrying an exchange right now, in every pool (tests: none may be left behind). */
  busy(): number;
  destroy(): void;
}

/** `maxSockets` and `maxFreeSockets` apply to each pool of each agent, and `maxSockets` to `buffered` per origin. */
export function createUpstreamAgents({ maxSockets = 256, maxFreeSockets = 64 } = {}): UpstreamAgents {
  const options = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets,
    maxFreeSockets,
    scheduling: 'lifo' as const,
    // An idle pooled socket is closed after this long.
    timeout: 60_000,
  };
  const agents = { http: new PooledHttpAgent(options), https: new PooledHttpsAgent(options) };
  const buffered = new BufferedPools(maxSockets);
  return {
    ...agents,
    buffered,
    busy() {
      let count = 0;
      for (const agent of [agents.http, agents.https])
        for (const list of Object.values(agent.sockets)) count += list?.length ?? 0;
      return count + buffered.busy();
    },
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
      buffered.destroy();
    },
  };
}

/** The Node agent for a streamed exchange to `target`'s scheme. */
export function agentFor(agents: UpstreamAgents, target: UpstreamTarget): http.Agent {
  return target.scheme === 'https' ? agents.https : agents.http;
}
