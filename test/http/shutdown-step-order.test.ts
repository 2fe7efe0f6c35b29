/**
 * The shutdown's order (docs/configuration.md "Fleet and hardening amendments": "Shutdown"): the steps given as
 * `afterDrain` (where the fleet writes its pending observations) run once every request received has been
 * answered and logged, before the upstream agents close and before "stopped"; a failing step does not keep
 * the later ones from running.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('shutdown order', () => {
  test('afterDrain steps run after every received request is answered, before the agents close', async () => {
    const seen: string[] = [];
    let harness: Harness | null = null;
    const h = await startHarness({
      responder: async (): Promise<Reply> => {
        await sleep(300);
        return { kind: 'capture', name: 'python-default-post' };
      },
      afterDrain: [
        {
          name: 'fails',
          run: () => {
            seen.push('fails');
            throw new Error('a broken flush');
          },
        },
        {
          name: 'flush',
          run: () => {
            const logged = harness?.exchanges().length ?? -1;
            const inFlight = harness?.proxy.app.inFlight() ?? -1;
            seen.push(`flush inFlight=${inFlight} logged=${logged}`);
          },
        },
      ],
    });
    harness = h;
    const { agents } = h.proxy.app.runtime;
    const destroy = agents.destroy.bind(agents);
    agents.destroy = () => {
      seen.push('agents closed');
      destroy();
    };
    try {
      const checks = Array.from({ length: 3 }, () =>
        rawRequest(h.port, deviceCheck()).then((reply) => reply.status),
      );
      await sleep(100); // all three are waiting on the upstream
      await h.proxy.shutdown();
      assert.deepEqual(await Promise.all(checks), [200, 200, 200]);
      assert.deepEqual(seen, ['fails', 'flush inFlight=0 logged=3', 'agents closed']);
      const messages = h.logs.map((l) => l.msg);
      assert.ok(messages.indexOf('shutdown step failed') < messages.indexOf('stopped'));
      assert.equal(h.logs.find((l) => l.msg === 'shutdown step failed')?.step, 'fails');
    } finally {
      await h.close();
    }
  });
});
