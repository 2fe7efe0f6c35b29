/** The offer a check's decision makes, as the fleet records it (docs/fleet.md "Update attempts"). */
import type { FirmwareDecision } from '../firmware/types.js';
import { entryIdOf } from './entry-id.js';
import type { SentOffer } from './types.js';

/** `null` when nothing was offered. Pass it to `observeCheck` only if the offer reached the device's reply. */
export function sentOfferOf(decision: FirmwareDecision): SentOffer | null {
  if (decision.kind !== 'offer') return null;
  const { entry } = decision;
  return {
    entryId: entryIdOf(entry),
    board: entry.board,
    version: entry.version,
    file: entry.file,
    forced: decision.force,
    urlKind: entry.url === null ? 'proxy' : 'external',
  };
}
