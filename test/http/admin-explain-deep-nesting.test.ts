/**
 * /admin/explain with a deeply nested body never answers 500: 100,000 nested arrays or objects given as
 * JSON in `request.body` or `upstream.body` are a 400 naming the member and the bound; given as text, or
 * sent by the live upstream, they are explained as the proxy treats them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Explanation } from '../../src/admin/explain.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

const DEPTH = 100_000;
const ARRAYS = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
const OBJECTS = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
const REQUEST = '{"headers":{"Host":"192.168.1.10:8003","Device-Id":"aa:bb:cc:dd:ee:01"},"body":"{}"}';

describe('/admin/explain with deeply nested bodies', () => {
  let h: Harness;
  let reply: Reply = { kind: 'capture', name: 'python-default-post' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      // 100,000 nested objects are 600 kB: the live upstream may send up to 1 MiB here.
      fullYaml:
        'listen: 127.0.0.1:0\nupstream:\n  url: {{upstream}}\n  timeout_ms: 5000\n  max_body_bytes: 1048576\n' +
        'admin:\n  token: dn-token\nwebsocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
  });
  after(() => h.close());

  /** Posts the explain body as raw text (JSON.stringify could not build these). */
  const explain = async (text: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${h.proxy.url}/admin/explain`, {
      method: 'POST',
      headers: { authorization: 'Bearer dn-token', 'content-type': 'application/json' },
      body: text,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  for (const [shape, nested] of [
    ['arrays', ARRAYS],
    ['objects', OBJECTS],
  ] as const) {
    test(`${DEPTH} nested ${shape} as request.body: 400 naming the member`, async () => {
      const { status, body } = await explain(`{"request":{"headers":{},"body":${nested}}}`);
      assert.equal(status, 400);
      assert.equal(body.error, 'bad request');
      assert.equal(
        body.detail,
        '`request.body` nests deeper than 64 levels (give it as a string to explain it as sent)',
      );
    });

    test(`${DEPTH} nested ${shape} as upstream.body: 400 naming the member`, async () => {
      const { status, body } = await explain(`{"request":${REQUEST},"upstream":{"body":${nested}}}`);
      assert.equal(status, 400);
      assert.equal(body.error, 'bad request');
      assert.equal(
        body.detail,
        '`upstream.body` nests deeper than 64 levels (give it as a string to explain it as sent)',
      );
    });

    test(`${DEPTH} nested ${shape} as upstream.body text: explained as the proxy reads it`, async () => {
      const { status, body } = await explain(
        `{"request":${REQUEST},"upstream":{"body":${JSON.stringify(nested)}}}`,
      );
      assert.equal(status, 200);
      const explanation = body as unknown as Explanation;
      assert.equal(explanation.upstream.verdict, 'failure');
      assert.equal(explanation.upstream.failure, 'not-json');
      assert.equal(explanation.outcome, 'fallback');
    });

    test(`${DEPTH} nested ${shape} from the live upstream: explained, not a 500`, async () => {
      reply = { kind: 'text', body: nested, headers: { 'content-type': 'application/json' } };
      const { status, body } = await explain(`{"request":${REQUEST}}`);
      assert.equal(status, 200);
      const explanation = body as unknown as Explanation;
      assert.equal(explanation.upstream.source, 'live');
      assert.equal(explanation.upstream.failure, 'not-json');
      assert.equal(explanation.outcome, 'fallback');
    });
  }

  test('deeply nested request.body text within limits.device_body_bytes: explained, not a 500', async () => {
    const nested = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const { status, body } = await explain(
      `{"request":{"headers":{"Host":"192.168.1.10:8003"},"body":${JSON.stringify(nested)}},"upstream":{"body":"{}"}}`,
    );
    assert.equal(status, 200);
    assert.equal((body as unknown as Explanation).upstream.verdict, 'other-object');
  });

  test('the proxy keeps answering explain after all of it', async () => {
    reply = { kind: 'capture', name: 'python-default-post' };
    const { status, body } = await explain(`{"request":${REQUEST}}`);
    assert.equal(status, 200);
    assert.equal((body as unknown as Explanation).outcome, 'rewritten');
  });
});
