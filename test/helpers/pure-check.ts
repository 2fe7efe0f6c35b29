/**
 * The OTA check's reply decision without sockets, as src/http/ota-check.ts makes it (docs/configuration.md "Which reply
 * a device gets"): classify → rules → guard and size, or the fallback. Property tests run thousands of
 * cases through it and a few hundred through the real proxy. Also the config variants they draw from.
 */
import fc from 'fast-check';
import type { Config } from '../../src/config/types.js';
import type { DeviceFacts } from '../../src/device/types.js';
import type { RememberedDevice } from '../../src/fallback/device-memory.js';
import type { FirmwareDecision } from '../../src/firmware/types.js';
import { classifyUpstreamBody, isJsonObject } from '../../src/rewrite/folded-json.js';
import { decideReply } from '../../src/gateway/reply-table.js';
import { judgeUpstream } from '../../src/gateway/upstream-verdict.js';
import type { JsonObject, RuleContext } from '../../src/rewrite/types.js';
import { makeEntry } from './catalog-entry.js';
import {
  mqttItem,
  rewriteRule,
  serverTimeItem,
  testConfig,
  testContext,
  testDevice,
  websocketItem,
} from './config-fixture.js';
import { runningVersion } from './hostile-json.js';

export type PureOutcome =
  | {
      readonly kind: 'reply';
      readonly json: string;
      readonly fallback: boolean;
      readonly upstream: JsonObject | null;
    }
  /** 502/504: no transport can be named, or the fallback is off. */
  | { readonly kind: 'error' };

/**
 * The reply the proxy writes for an upstream 2xx body `text` (or a transport failure when `text` is null):
 * the very decision the OTA check makes (judgeUpstream → decideReply), without the sockets.
 */
export function pureCheck(
  text: string | null,
  ctx: RuleContext,
  remembered: RememberedDevice | null,
  lastOffset: number | null,
): PureOutcome {
  const verdict = judgeUpstream(
    text === null
      ? { kind: 'failure', failure: 'refused', cause: 'test: upstream down', ms: 0 }
      : {
          kind: 'response',
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(text, 'utf8'),
          ms: 0,
        },
  );
  const decision = decideReply(verdict, ctx, { recall: () => remembered, lastUpstreamOffset: lastOffset });
  if (decision.outcome === 'failed') return { kind: 'error' };
  const upstream = verdict.kind === 'sections' || verdict.kind === 'other-object' ? verdict.body : null;
  const json = typeof decision.body === 'string' ? decision.body : decision.body.toString('utf8');
  return {
    kind: 'reply',
    json,
    fallback: decision.outcome === 'fallback',
    upstream: decision.outcome === 'fallback' ? null : upstream,
  };
}

/** What the proxy remembers from a good upstream reply (src/http/ota-check.ts rememberGoodReply). */
export function rememberedFrom(text: string): RememberedDevice | null {
  const parsed = classifyUpstreamBody(text);
  if (parsed.kind !== 'sections') return null;
  const ws = parsed.body.websocket;
  const websocket = isJsonObject(ws) && typeof ws.url === 'string' && /^wss?:\/\//.test(ws.url) ? ws : null;
  // Looser than the proxy (which keeps `mqtt` only when the device got it): any object, so the fallback
  // also meets sections the guard must drop.
  const mqtt = isJsonObject(parsed.body.mqtt) ? parsed.body.mqtt : null;
  return websocket || mqtt ? { websocket, mqtt } : null;
}

/** Config variants: upstream defaults, the shipped shape, strip + zones + rewrites, and hostile templates. */
export const CONFIGS: readonly Config[] = [
  testConfig(),
  testConfig({ websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')] }),
  testConfig({
    websocket: [websocketItem('wss://voice.example.com/xiaozhi/v1/', { token: 'configured-token' })],
    mqtt: [mqttItem('strip')],
    serverTime: [serverTimeItem({ kind: 'zone', name: 'Europe/Berlin' })],
    firmware: { dir: null, upstreamOffers: 'drop', requireToken: false },
  }),
  testConfig({
    rewrite: [
      rewriteRule('http://172.21.0.5:8003/', 'http://{host}:8003/'),
      rewriteRule('ws://172.21.0.5:8000/', '{scheme}://{host}:8000/'),
    ],
    mqtt: [mqttItem('strip', { board: ['bread-*'] }), mqttItem('keep')],
    serverTime: [
      serverTimeItem({ kind: 'fixed', offsetMinutes: 0 }, { board: ['m5stack-*'] }),
      serverTimeItem({ kind: 'zone', name: 'Asia/Kolkata' }),
    ],
  }),
  // Hostile but loadable: a colon in the websocket path, rewrites that turn URLs into something else.
  testConfig({
    websocket: [websocketItem('ws://{host}/x:y/')],
    rewrite: [rewriteRule('ws://', 'http://{host}/'), rewriteRule('http://', 'ftp://')],
    fallback: { enabled: true, rememberDevices: 10 },
  }),
  testConfig({
    fallback: { enabled: false, rememberDevices: 10 },
    websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')],
  }),
];

/** The catalog's decision: nothing, or an offer (newer, equal, older; forced or not). */
export const offerArb: fc.Arbitrary<FirmwareDecision> = fc.oneof(
  fc.constant<FirmwareDecision>({ kind: 'none', reason: 'no-catalog', detail: 'no firmware.dir' }),
  fc
    .tuple(
      fc.constantFrom('1.6.0', '2.0.0', '2.4.2', '9.0.0', '0.0.1', '1.10.0'),
      fc.constantFrom('http://192.168.1.10:8003/firmware/a.bin', 'https://cdn.example.com/a.bin'),
      fc.boolean(),
    )
    .map(([version, url, force]): FirmwareDecision => ({
      kind: 'offer',
      entry: makeEntry({ version }),
      version,
      url,
      force,
    })),
);

/** A device as the proxy read it, and the truth the oracle compares against. */
export const deviceArb: fc.Arbitrary<DeviceFacts> = fc
  .tuple(
    runningVersion,
    fc.boolean(),
    fc.constantFrom<string | null>('aa:bb:cc:dd:ee:01', null),
    fc.constantFrom('bread-compact-wifi', 'm5stack-stack-chan'),
  )
  .map(([version, legacy, id, build]) => testDevice({ version, legacy, id, build, boardType: build }));

/** A rule context for one drawn case. */
export function contextFor(config: Config, device: DeviceFacts, offer: FirmwareDecision): RuleContext {
  return testContext({ config, device, offer });
}
