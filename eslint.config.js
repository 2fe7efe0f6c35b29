// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** I/O modules the pure core must never import (docs/contributing.md §2). */
const ioModules = [
  'node:http',
  'node:https',
  'node:net',
  'node:tls',
  'node:fs',
  'node:fs/promises',
  'node:os',
  'node:child_process',
  'node:dgram',
  'node:dns',
  'http',
  'https',
  'net',
  'tls',
  'fs',
  'fs/promises',
  'os',
  'hono',
  'http-proxy',
  'pino',
  'ws',
  'prom-client',
];

/** Database drivers and Kysely: only the fleet store's adapters reach them (docs/contributing.md §22). */
const databaseModules = ['better-sqlite3', 'pg', 'kysely'];
const databaseMessage =
  'Only the fleet store (src/fleet/store/) talks to the database (docs/contributing.md §22).';

/** The pure core's folders and files (docs/contributing.md §2); the fleet's service and store do I/O. */
const pureCore = [
  'src/match/**',
  'src/gateway/**',
  'src/config/**',
  'src/device/**',
  'src/rewrite/**',
  'src/firmware/**',
  'src/fallback/**',
  'src/http-wire/**',
  'src/i18n/**',
  'src/fleet/*.ts',
];
const pureCoreExceptions = ['src/fleet/service.ts'];

const noDatabase = {
  paths: databaseModules.map((name) => ({ name, message: databaseMessage })),
  patterns: [{ group: ['kysely/*', 'pg/*', 'better-sqlite3/*'], message: databaseMessage }],
};

/**
 * One `no-restricted-imports` per layer: flat-config objects that set the same rule for the same file
 * replace each other, so every ban that applies to a layer is composed into its one entry here.
 */
function restrictImports(...bans) {
  return [
    'error',
    {
      paths: bans.flatMap((ban) => ban.paths ?? []),
      patterns: bans.flatMap((ban) => ban.patterns ?? []),
    },
  ];
}
export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'No enums: use string-literal unions.' },
        { selector: 'TSParameterProperty', message: 'No parameter properties.' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // One upstream client (src/upstream/): only it opens upstream HTTP requests, so the guards (an unasked
    // 101, a close before any reply, a reply cut short, a body over the limit), the deadline and the failure
    // vocabulary live once. doctor/ probes over raw net/tls, voice/ carries the WebSocket through
    // http-proxy, and http/server.ts creates the listeners (`http.createServer`).
    files: ['src/**/*.ts'],
    ignores: ['src/upstream/**', 'src/doctor/**', 'src/voice/**', 'src/http/server.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...['node:http', 'node:https', 'http', 'https'].map((name) => ({
              name,
              // The default and namespace imports carry `request` too; named ones that do no I/O stay allowed.
              importNames: ['default', 'request', 'get', 'Agent', 'globalAgent', 'ClientRequest'],
              message: 'Upstream HTTP requests go through src/upstream/ (exchange, streamExchange).',
              allowTypeImports: true,
            })),
            {
              name: 'http-proxy',
              message: 'Upstream HTTP requests go through src/upstream/ (streamExchange).',
            },
          ],
        },
      ],
    },
  },
  {
    // Every edge module but the operator surface, the HTTP layer and the store: no database driver.
    files: ['src/**/*.ts'],
    ignores: [...pureCore, 'src/admin/**', 'src/http/**', 'src/fleet/store/**'],
    rules: { 'no-restricted-imports': restrictImports(noDatabase) },
  },
  {
    files: pureCoreExceptions,
    rules: { 'no-restricted-imports': restrictImports(noDatabase) },
  },
  {
    files: pureCore,
    ignores: pureCoreExceptions,
    rules: {
      'no-restricted-imports': restrictImports(
        {
          paths: ioModules.map((name) => ({
            name,
            message: 'The pure core does no I/O: take it as a parameter (docs/contributing.md §2).',
          })),
          patterns: [
            {
              group: [
                '@hono/*',
                '../http/*',
                '../runtime/*',
                '../voice/*',
                '../admin/*',
                '../upstream/*',
                './store/*.js',
                '!./store/types.js',
              ],
              message: 'The pure core does no I/O (docs/contributing.md §2).',
            },
          ],
        },
        noDatabase,
      ),
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'Take the clock from ctx.now (docs/contributing.md §3).',
        },
        { object: 'Math', property: 'random', message: 'The pure core is deterministic.' },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'No I/O in the pure core.' }],
    },
  },
  {
    // The operator surface reads the HTTP layer only through runtime/proxy-state.ts (ProxyState).
    files: ['src/admin/**'],
    rules: {
      'no-restricted-imports': restrictImports(noDatabase, {
        patterns: [
          {
            regex: '^(\\.\\./)+http/',
            message:
              'src/admin/ never imports src/http/: take what it needs through ProxyState (runtime/proxy-state.ts).',
          },
        ],
      }),
    },
  },
  {
    // The operator's actions (src/operations/) serve the API, the console and the CLI alike: they never
    // reach into any of them (docs/contributing.md §24).
    files: ['src/operations/**'],
    rules: {
      'no-restricted-imports': restrictImports(noDatabase, {
        patterns: [
          {
            regex: '^(\\.\\./)+(http|admin|voice|doctor)/',
            message:
              'src/operations/ is called by the API, the console and the CLI, never the other way round.',
          },
        ],
      }),
    },
  },
  {
    // The HTTP layer hands operator routes to the one listener it is given (AppDeps.operator).
    files: ['src/http/**'],
    rules: {
      'no-restricted-imports': restrictImports(noDatabase, {
        patterns: [
          {
            regex: '^(\\.\\./)+admin/',
            message:
              'src/http/ never imports src/admin/: operator routes go to the listener in AppDeps.operator.',
          },
        ],
      }),
    },
  },
  {
    // Inside the store, each driver belongs to its adapter; the shared SQL uses Kysely's builder only.
    files: ['src/fleet/store/**'],
    ignores: ['src/fleet/store/sqlite.ts', 'src/fleet/store/postgres.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        paths: ['better-sqlite3', 'pg'].map((name) => ({
          name,
          message: 'A database driver belongs to its adapter (sqlite.ts, postgres.ts).',
        })),
        patterns: [{ group: ['kysely/*'], message: 'Kysely dialect internals belong to the adapters.' }],
      }),
    },
  },
  {
    files: ['src/fleet/store/sqlite.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'pg', message: 'PostgreSQL is postgres.ts.' }] }],
    },
  },
  {
    files: ['src/fleet/store/postgres.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'better-sqlite3', message: 'SQLite is sqlite.ts.' }] },
      ],
    },
  },
);
