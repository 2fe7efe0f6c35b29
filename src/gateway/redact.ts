/** Hides secrets in reply bodies shown to operators (/admin/exchanges, debug logs): tokens and MQTT passwords. */

const SECRET_KEYS = /("(?:token|password)"\s*:\s*)"((?:[^"\\]|\\.)*)"/gi;

/** Replaces the string value of every `token`/`password` member (any case) with `[redacted]`, keeping empty ones visible. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_KEYS, (_match, prefix: string, value: string) =>
    value === '' ? `${prefix}""` : `${prefix}"[redacted]"`,
  );
}
