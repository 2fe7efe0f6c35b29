/**
 * Keep-alive agents for plain HTTP exchanges with the upstream (never for WebSocket upgrades), one per
 * scheme, each holding two pools: `device` (OTA check, GET, activate, the download relays) and
 * `passthrough` (every other path). Node limits sockets per pool name (`maxSockets` is per `getName()`), so
 * held passthrough requests can never take the sockets OTA checks need (docs/configuration.md "Fleet and
 * hardening amendments").
 */
import http, { type ClientRequestArgs } from 'node:http';
import https from 'node:https';
import type { UpstreamTarget } from '../config/types.js';

/** Which upstream capacity an exchange draws on. */
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

export interface UpstreamAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

/** `maxSockets` and `maxFreeSockets` apply to each pool of each agent. */
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
  return {
    ...agents,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** The agent for `target`'s scheme. */
export function agentFor(agents: UpstreamAgents, target: UpstreamTarget): http.Agent {
  return target.scheme === 'https' ? agents.https : agents.http;
}
