/**
 * How `doctor` marks the checks it sends, so the fleet decides them like any device's but never records
 * them (docs/fleet.md "Principles"). A forged mark only hides a check from the inventory; it changes
 * nothing the sender is offered.
 */

/** The request header doctor adds to its OTA check, as it writes it. */
export const DOCTOR_CHECK_NAME = 'X-Ota-Proxy-Doctor';

/** The same, lower case, as Node keys headers. */
export const DOCTOR_CHECK_HEADER = 'x-ota-proxy-doctor';
