/** The store `fleet.store` names (docs/configuration.md "Fleet and hardening amendments"). */
import type { FleetStoreSetting } from '../../config/types.js';
import { memoryStore } from './memory.js';
import { postgresStore } from './postgres.js';
import { sqliteStore } from './sqlite.js';
import type { FleetStore } from './types.js';

export function openStore(setting: FleetStoreSetting): FleetStore {
  switch (setting.kind) {
    case 'memory':
      return memoryStore();
    case 'sqlite':
      return sqliteStore(setting.path);
    case 'postgres':
      return postgresStore(setting.url);
    default: {
      const never: never = setting;
      return never;
    }
  }
}
