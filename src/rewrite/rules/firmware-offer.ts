/**
 * Rule 5, firmware (docs/configuration.md "Rules, in order"): the catalog's offer replaces any upstream `firmware`.
 * Without one, an upstream offer (a `firmware` object whose `url` is a non-empty string and not the
 * placeholder) is kept with `upstream_offers: keep` and removed with `drop`; a `firmware` object that
 * offers nothing (`url: ""` or the placeholder) stays for the device guard to check.
 */
import { isJsonObject, ownMember, withMember, withoutMember } from '../folded-json.js';
import { defineRule, type JsonObject, type JsonValue } from '../types.js';

/** The Java upstream's "nothing to download" URL ends in this (docs/upstream.md, `Constant.INVALID_FIRMWARE_URL`). */
export const PLACEHOLDER_URL_MARK = 'NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL';

/** Whether `url` is the Java upstream's placeholder rather than a download. */
export function isPlaceholderUrl(url: string): boolean {
  return url.includes(PLACEHOLDER_URL_MARK);
}

/** Whether a `firmware` section offers a download: an object whose `url` is a non-empty string, not the placeholder. */
export function isUpstreamOffer(section: JsonValue | undefined): section is JsonObject {
  if (!isJsonObject(section)) return false;
  const url = ownMember(section, 'url');
  return typeof url === 'string' && url !== '' && !isPlaceholderUrl(url);
}

export const firmwareOffer = defineRule({
  name: 'firmware',
  apply(body, ctx) {
    const { offer } = ctx;
    switch (offer.kind) {
      case 'offer': {
        const firmware: JsonObject = { version: offer.version, url: offer.url };
        // `force` only as the number 1 (docs/device-contract.md §3); the catalog sets it only for a pin that differs.
        if (offer.force) firmware.force = 1;
        return { body: withMember(body, 'firmware', firmware), applied: true };
      }
      case 'none': {
        if (ctx.config.firmware.upstreamOffers === 'keep' || !isUpstreamOffer(ownMember(body, 'firmware'))) {
          return { body, applied: false };
        }
        return { body: withoutMember(body, 'firmware'), applied: true };
      }
      default: {
        const never: never = offer;
        return never;
      }
    }
  },
});
