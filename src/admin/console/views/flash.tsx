/**
 * What an action reports after its redirect (`?done=<code>`): a fixed set of codes, each a catalog
 * message, so no text of the URL is ever shown as a message of ours; the few values (a percentage, a
 * board and version just added) are checked and escaped like everything else.
 */
import { Notice, type View } from './parts.js';

export type FlashCode =
  'halted' | 'resumed' | 'unchanged' | 'unknown-entry' | 'rollout' | 'added' | 'unblocked' | 'unblocked-none';

export interface FlashState {
  readonly code: FlashCode;
  readonly value: string;
}

const CODES: readonly FlashCode[] = [
  'halted',
  'resumed',
  'unchanged',
  'unknown-entry',
  'rollout',
  'added',
  'unblocked',
  'unblocked-none',
];

/** `done=<code>` with an optional `v=<value>` (at most 200 characters). */
export function flashOf(done: string | undefined, value: string | undefined = ''): FlashState | null {
  if (done === undefined || !(CODES as readonly string[]).includes(done)) return null;
  return { code: done as FlashCode, value: value.slice(0, 200) };
}

/** The query for a redirect after an action. */
export function flashQuery(code: FlashCode, value = ''): string {
  return `done=${code}${value === '' ? '' : `&v=${encodeURIComponent(value)}`}`;
}

export function Flash({ view, flash }: { view: View; flash: FlashState | null }) {
  if (flash === null) return null;
  const t = view.t;
  switch (flash.code) {
    case 'halted':
      return <Notice tone="ok">{t('console.rollout.halted.done')}</Notice>;
    case 'resumed':
      return <Notice tone="ok">{t('console.rollout.resumed.done')}</Notice>;
    case 'unchanged':
      return <Notice tone="warn">{t('console.rollout.unchanged')}</Notice>;
    case 'unknown-entry':
      return <Notice tone="bad">{t('console.rollout.unknown')}</Notice>;
    case 'rollout':
      return <Notice tone="ok">{t('console.firmware.rollout.done', { percent: flash.value })}</Notice>;
    case 'added': {
      const [board = '', version = ''] = flash.value.split('\n');
      return <Notice tone="ok">{t('console.firmware.added', { board, version })}</Notice>;
    }
    case 'unblocked':
      return <Notice tone="ok">{t('console.device.unblocked', { entries: flash.value })}</Notice>;
    case 'unblocked-none':
      return <Notice tone="warn">{t('console.device.unblocked.none')}</Notice>;
  }
}
