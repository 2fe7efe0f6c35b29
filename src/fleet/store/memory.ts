/**
 * The `memory` store: SQLite in memory. The same schema, SQL and behaviour as the other two (one shared
 * test suite proves it), kept for this process only: nothing survives a restart, one replica only.
 */
import { sqliteStore } from './sqlite.js';
import type { FleetStore } from './types.js';

export function memoryStore(): FleetStore {
  return sqliteStore(':memory:', { kind: 'memory' });
}
