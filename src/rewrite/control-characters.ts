/**
 * Text a device would write into an HTTP request line or header (docs/configuration.md "Fleet and hardening
 * amendments", guard): the firmware sends `websocket.url` as its request target and `websocket.token` as
 * `Authorization: Bearer …`, and stores the `mqtt` strings for its MQTT CONNECT. A CR/LF there splits a
 * header, a NUL ends a C string early.
 */

/** Whether `text` holds a control character (U+0000–U+001F, U+007F). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Whether `text` holds a control character or whitespace (`\s`: space, NBSP, U+2028, U+3000 …): no usable URL does. */
export function hasControlOrWhitespace(text: string): boolean {
  return hasControlCharacter(text) || /\s/.test(text);
}
