/**
 * The store's hot statements (a flush's rows, a settle's), built by Kysely once per shape and then run
 * with fresh parameters. Kysely builds and compiles a query's whole tree on every call: for a chunk of 200
 * rows of 25 columns that is thousands of nodes, every flush, for SQL text that only the row count
 * changes. A statement is built once with a marker in place of each value; its compiled SQL is kept when
 * every parameter is one of the markers (so each parameter's source is known), else it is built by
 * Kysely every time as before. Running the kept SQL with the values in the markers' places sends the
 * database exactly what Kysely would have.
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

/** Kept SQL and, per parameter, the index of the value that goes there; `null`: not templatable. */
type Template = { readonly sql: string; readonly slots: readonly number[] } | null;

/** Kept templates per cache; a shape past this is built by Kysely (shapes are row counts: about 200 each). */
const MAX_TEMPLATES = 2000;

export class StatementCache {
  readonly #templates = new Map<string, Template>();

  /**
   * Runs `build(values)` on `db`. `shape` names the statement and everything but the values that its SQL
   * depends on (e.g. `attempts:<rows>`); `values` are every value the statement binds. A value `undefined`
   * (a column Kysely would leave out) runs the statement through Kysely.
   */
  async run<DB, R>(
    db: Kysely<DB>,
    shape: string,
    values: readonly unknown[],
    build: (values: readonly unknown[]) => Compilable<R>,
  ): Promise<QueryResult<R>> {
    let template = this.#templates.get(shape);
    if (template === undefined) {
      template = templateOf(values.length, build);
      if (this.#templates.size < MAX_TEMPLATES) this.#templates.set(shape, template);
    }
    if (template === null || values.includes(undefined)) return db.executeQuery(build(values));
    const parameters = new Array<unknown>(template.slots.length);
    for (let i = 0; i < parameters.length; i++) parameters[i] = values[template.slots[i] as number];
    return db.executeQuery<R>(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>);
  }
}

/** Compiles the statement with a unique marker per value; `null` when a parameter is not one of them. */
function templateOf<R>(count: number, build: (values: readonly unknown[]) => Compilable<R>): Template {
  const markers = Array.from({ length: count }, (_, i) => `\u0000statement-cache:${i}\u0000`);
  const index = new Map(markers.map((m, i) => [m, i]));
  const compiled = build(markers).compile();
  const slots: number[] = [];
  for (const parameter of compiled.parameters) {
    const at = typeof parameter === 'string' ? index.get(parameter) : undefined;
    if (at === undefined) return null;
    slots.push(at);
  }
  // Every value must reach the statement: a marker missing from the parameters was left out (or inlined).
  if (new Set(slots).size !== count) return null;
  return { sql: compiled.sql, slots };
}
