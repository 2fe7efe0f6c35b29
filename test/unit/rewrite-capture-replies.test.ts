/**
 * Every JSON reply the real upstreams send (test/fixtures/upstream-captures) is read and written back as
 * before the parse got its bounds (`MAX_VALUES`, native string scans): an OTA reply comes out as its own
 * compact JSON (the guard repairs nothing in them), an error shape as the very bytes the upstream sent.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { classifyUpstreamBody } from '../../src/rewrite/folded-json.js';
import { finishReply, sizeRuleOnly } from '../../src/rewrite/serialize.js';
import { CAPTURES_DIR } from '../helpers/captures.js';
import { testDevice } from '../helpers/config-fixture.js';
import { upstreamText } from '../helpers/upstream-replies.js';

const names = readdirSync(CAPTURES_DIR)
  .filter((file) => file.endsWith('.response.http'))
  .map((file) => file.slice(0, -'.response.http'.length))
  .sort();

describe('the real upstream replies, as before', () => {
  test('there are captures to check', () => assert.ok(names.length >= 20, `${names.length} captures`));

  for (const name of names) {
    test(name, () => {
      const text = upstreamText(name);
      const read = classifyUpstreamBody(text);
      switch (read.kind) {
        case 'sections': {
          const out = finishReply(read.body, testDevice());
          assert.equal(out.kind, 'ok');
          assert.equal(out.kind === 'ok' ? out.json : '', JSON.stringify(JSON.parse(text)));
          break;
        }
        case 'other-object': {
          const out = sizeRuleOnly(read.body, text);
          assert.equal(out.kind === 'ok' ? out.json : '', text);
          break;
        }
        case 'not-object':
        case 'invalid':
          // Text replies (the GET sentence, 404 pages, downloads): no JSON to read, as before.
          assert.throws(() => JSON.parse(text) as unknown);
          break;
        default: {
          const never: never = read;
          throw new Error(`unhandled ${JSON.stringify(never)}`);
        }
      }
    });
  }
});
