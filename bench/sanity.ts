/**
 * Before anything is timed: one device check against each target. The proxy's reply must be one a
 * device can use and carry the catalog's expected offer — a benchmark of a broken proxy means nothing.
 * nginx's reply is only described: its framing is what makes that baseline unsafe for devices.
 */
import { expectedOffer } from './catalog-plan.js';
import type { BenchContext } from './context.js';
import { checkOtaReply, type ReplyExpectations } from './contract-check.js';
import { deviceMac, deviceRequest, deviceRequestTemplate } from './device-request.js';
import { rawExchange } from './processes.js';
import { headerValues } from '../src/http-wire/response-reader.js';
import type { OtaThroughput } from './results.js';

/** What every proxy reply in the benchmark must satisfy (the config in fixtures.ts). */
export const PROXY_EXPECTATIONS: ReplyExpectations = {
  mqttStripped: true,
  websocketUrlPrefix: 'ws://127.0.0.1:8000/xiaozhi/v1/',
};

/** One check per target before timing; throws when the proxy's reply is unusable or the offer is wrong. */
export async function checkTargets(
  ctx: BenchContext,
): Promise<{ nginxFraming: OtaThroughput['nginxFraming'] }> {
  const index = ctx.nextDevices();
  const ask = (
    port: number,
  ): Promise<ReturnType<typeof checkOtaReply> & { raw: Awaited<ReturnType<typeof rawExchange>> }> =>
    rawExchange(
      port,
      deviceRequest(deviceRequestTemplate({ host: `127.0.0.1:${port}`, keepAlive: false }), index),
    ).then((raw) => ({
      ...checkOtaReply(raw, PROXY_EXPECTATIONS),
      raw,
    }));

  const upstream = await ask(ctx.upstream.port);
  if (upstream.raw.status !== 200 || upstream.sections === null)
    throw new Error(`the fake upstream answered ${upstream.raw.statusLine}`);

  const bare = await ask(ctx.bareRelay.port);
  if (bare.raw.status !== 200) throw new Error(`the bare Node relay answered ${bare.raw.statusLine}`);

  const proxies: [string, number][] = [
    ['the proxy', ctx.proxy.port],
    ['the control proxy', ctx.control.port],
  ];
  ctx.baselines.forEach((b, i) => proxies.push([`baseline build ${i + 1}`, b.running.port]));
  const expected = expectedOffer(deviceMac(index));
  for (const [name, port] of proxies) {
    const proxy = await ask(port);
    if (proxy.violations.length > 0) {
      throw new Error(
        `${name}'s reply breaks the device contract (${proxy.violations.join(', ')}):\n${proxy.raw.body.toString('utf8')}`,
      );
    }
    const firmware = proxy.sections?.firmware as { version?: unknown } | undefined;
    if (firmware?.version !== expected) {
      throw new Error(
        `${name} offered ${JSON.stringify(firmware)} where the catalog says ${expected}:\n${proxy.raw.body.toString('utf8')}`,
      );
    }
    ctx.progress(
      `${name}: reply OK (${proxy.raw.wireBytes} bytes on the wire, firmware ${expected} offered, mqtt stripped)`,
    );
  }

  if (ctx.nginx === null) return { nginxFraming: null };
  const nginx = await ask(ctx.nginx.port);
  const rewritten = (nginx.sections?.websocket as { url?: unknown } | undefined)?.url;
  if (typeof rewritten !== 'string' || !rewritten.startsWith(PROXY_EXPECTATIONS.websocketUrlPrefix ?? '')) {
    throw new Error(`nginx's sub_filter did not rewrite the websocket URL (got ${String(rewritten)})`);
  }
  const nginxFraming = {
    contentLength: headerValues(nginx.raw.headers, 'content-length').length > 0,
    chunked: nginx.raw.framing === 'chunked',
    violations: nginx.violations,
  };
  ctx.progress(
    `nginx reply: ${nginxFraming.contentLength ? 'Content-Length kept' : 'no Content-Length'}, ${nginxFraming.chunked ? 'chunked' : 'not chunked'}`,
  );
  return { nginxFraming };
}
