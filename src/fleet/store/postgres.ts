/**
 * The PostgreSQL adapter (pg). Every connection has timeouts so that a black-holed database is a failure
 * within seconds, never a hang (docs/fleet.md "Store"): connecting, each query (client side, so a silent
 * network fails too), each statement and idle transactions (server side), and TCP keepalive. A connection
 * whose query failed without a PostgreSQL error code is destroyed, not reused.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { MIGRATION_LOCK_KEY, MIGRATIONS, type Migration } from './migrations.js';
import type { FleetDatabase } from './schema.js';
import { sqlStore, type SqlBackend } from './sql-store.js';
import type { FleetStore } from './types.js';

export interface PostgresTimeouts {
  readonly connectMs: number;
  readonly queryMs: number;
}

const INT8 = 20;

export function postgresStore(
  url: string,
  {
    connectMs = 3000,
    queryMs = 5000,
    migrations = MIGRATIONS,
  }: Partial<PostgresTimeouts> & { readonly migrations?: readonly Migration[] } = {},
): FleetStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: connectMs,
    query_timeout: queryMs,
    statement_timeout: queryMs,
    idle_in_transaction_session_timeout: queryMs * 2,
    keepAlive: true,
    keepAliveInitialDelayMillis: 1000,
    idleTimeoutMillis: 30_000,
    application_name: 'xiaozhi-ota-proxy fleet',
    // bigint columns hold milliseconds and counts: numbers, not strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that dies reports here; the next query on the pool fails or reconnects.
  pool.on('error', () => {});

  const kyselyPool = {
    async connect() {
      const client = await pool.connect();
      let broken = false;
      // A connection that dies while checked out also emits 'error' on the client (the query rejects as
      // well): without a listener that event would end the process.
      const onError = (): void => {
        broken = true;
      };
      client.on('error', onError);
      return {
        query(text: string, values: readonly unknown[]) {
          return client.query(text, values as unknown[]).catch((error: unknown) => {
            if (isConnectionFailure(error)) broken = true;
            throw error;
          });
        },
        release() {
          client.off('error', onError);
          client.release(broken);
        },
      };
    },
    end: () => pool.end(),
  };
  const db = new Kysely<FleetDatabase>({
    dialect: new PostgresDialect({
      pool: kyselyPool as unknown as ConstructorParameters<typeof PostgresDialect>[0]['pool'],
    }),
  });

  const backend: SqlBackend = {
    kind: 'postgres',
    dialect: 'postgres',
    db,
    write: (fn) => db.transaction().execute(fn),
    // A read is retried once on a connection that turned out dead (an outage ended while it sat in the
    // pool): nothing was changed, and the pool hands out a fresh connection the second time.
    read: async (fn) => {
      try {
        return await db.transaction().setIsolationLevel('repeatable read').execute(fn);
      } catch (error) {
        if (!isConnectionFailure(error)) throw error;
        return db.transaction().setIsolationLevel('repeatable read').execute(fn);
      }
    },
    migrateLocked: (fn) =>
      db.transaction().execute(async (trx) => {
        // Replicas starting together: one migrates, the others wait here and then find it done.
        await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
        return fn(trx);
      }),
    async now() {
      const row = (
        await sql<{
          now: number;
        }>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`.execute(db)
      ).rows[0];
      return Math.round(Number(row?.now));
    },
    close: () => db.destroy(),
  };
  return sqlStore(backend, migrations);
}

/** No SQLSTATE: a timeout or a dead socket, not an answer from the server. */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || code.length !== 5;
}
