/** The terminal watch (src/runtime/controlling-terminal.ts): a hang-up is seen by SIGHUP's question and by the periodic look, once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchTerminal } from '../../src/runtime/controlling-terminal.js';

test('while the terminal is there, gone() is false and nothing is called', async () => {
  let calls = 0;
  const watch = watchTerminal({ attached: () => true, onGone: () => calls++, intervalMs: 5 });
  await sleep(40);
  assert.equal(watch.gone(), false);
  assert.equal(calls, 0);
  watch.stop();
});

test('a hang-up is answered by gone() at once and reported by the periodic look exactly once', async () => {
  let attached = true;
  let calls = 0;
  const watch = watchTerminal({ attached: () => attached, onGone: () => calls++, intervalMs: 5 });
  attached = false;
  assert.equal(watch.gone(), true);
  await sleep(40);
  assert.equal(calls, 1);
  // Once gone, always gone (the descriptor does not become a terminal again).
  attached = true;
  assert.equal(watch.gone(), true);
  watch.stop();
});

test('stop() ends the periodic look', async () => {
  let attached = true;
  let calls = 0;
  const watch = watchTerminal({ attached: () => attached, onGone: () => calls++, intervalMs: 5 });
  watch.stop();
  attached = false;
  await sleep(30);
  assert.equal(calls, 0);
});
