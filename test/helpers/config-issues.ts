/**
 * Helpers for configuration tests: parse a YAML text and get the ConfigError's issues, or assert
 * that one issue was reported with its key path and `file:line:col`.
 */
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/parse.js';
import type { ParseConfigOptions } from '../../src/config/parse.js';
import type { Config } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';
import type { ConfigIssue } from '../../src/errors.js';

/** The file name issues carry in these tests. */
export const TEST_FILE = 'config/test.yaml';
/** Where that file "is": relative paths in it resolve against /srv/proxy/config. */
export const TEST_PATH = '/srv/proxy/config/test.yaml';

/** Parses `text` as config/test.yaml; throws what parseConfig throws. */
export function parse(text: string, options: Partial<ParseConfigOptions> = {}): Config {
  return parseConfig(text, {
    file: TEST_PATH,
    displayFile: TEST_FILE,
    env: {},
    localAddresses: [],
    ...options,
  });
}

/** The issues of a text that must not parse (asserting ConfigError with code CONFIG_INVALID). */
export function issuesOf(text: string, options: Partial<ParseConfigOptions> = {}): readonly ConfigIssue[] {
  try {
    parse(text, options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.ok(error.issues.length > 0);
    return error.issues;
  }
  return assert.fail('the configuration was accepted');
}

/**
 * Asserts that `text` fails with exactly one issue, at `path` and `line:col`, whose message names
 * the key and ends with the position.
 */
export function expectIssue(
  text: string,
  expected: { path: string; line: number; col: number },
  options: Partial<ParseConfigOptions> = {},
): ConfigIssue {
  const issues = issuesOf(text, options);
  assert.deepEqual(
    issues.map((i) => ({ path: i.path, line: i.line, col: i.col })),
    [expected],
    issues.map((i) => i.message).join('\n'),
  );
  const issue = issues[0] ?? assert.fail('no issue');
  assert.equal(issue.file, TEST_FILE);
  assert.ok(issue.message.endsWith(` at ${TEST_FILE}:${expected.line}:${expected.col}`), issue.message);
  return issue;
}
