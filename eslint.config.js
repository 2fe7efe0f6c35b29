// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** I/O modules the pure core must never import (../shared/STYLE.md §2). */
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

/** Database drivers and Kysely: only the fleet store's adapters reach them (STYLE.md §22). */
const databaseModules = ['better-sqlite3', 'pg', 'kysely'];
const databaseMessage = 'Only the fleet store (src/fleet/store/) talks to the database (STYLE.md §22).';

/** The pure core's folders and files (STYLE.md §2); the fleet's service and store do I/O. */
const pureCore = [
  'src/match/**',
  'src/gateway/**',
  'src/config/**',
  'src/device/**',
  'src/rewrite/**',
  'src/firmware/**',
  'src/fallback/**',
  'src/fleet/*.ts',
];

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
    // Everything but the pure core and the store: no database driver.
    files: ['src/**/*.ts'],
    ignores: [...pureCore, '!src/fleet/service.ts', 'src/fleet/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: databaseModules.map((name) => ({ name, message: databaseMessage })),
          patterns: [{ group: ['kysely/*', 'pg/*', 'better-sqlite3/*'], message: databaseMessage }],
        },
      ],
    },
  },
  {
    // Inside the store, each driver belongs to its adapter; the shared SQL uses Kysely's builder only.
    files: ['src/fleet/store/**'],
    ignores: ['src/fleet/store/sqlite.ts', 'src/fleet/store/postgres.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['better-sqlite3', 'pg'].map((name) => ({
            name,
            message: 'A database driver belongs to its adapter (sqlite.ts, postgres.ts).',
          })),
          patterns: [{ group: ['kysely/*'], message: 'Kysely dialect internals belong to the adapters.' }],
        },
      ],
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
  {
    files: pureCore,
    // The fleet service does the I/O the fleet's pure modules leave out (timers, the store).
    ignores: ['src/fleet/service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...ioModules.map((name) => ({
              name,
              message: 'The pure core does no I/O: take it as a parameter (STYLE.md §2).',
            })),
            ...databaseModules.map((name) => ({ name, message: databaseMessage })),
          ],
          patterns: [
            {
              group: [
                '@hono/*',
                '../http/*',
                '../runtime/*',
                '../voice/*',
                '../admin/*',
                './store/*.js',
                '!./store/types.js',
              ],
              message: 'The pure core does no I/O (STYLE.md §2).',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Take the clock from ctx.now (STYLE.md §3).' },
        { object: 'Math', property: 'random', message: 'The pure core is deterministic.' },
      ],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'No I/O in the pure core.' }],
    },
  },
);
