/**
 * Typed column maps: a service declares each table it writes once, as the fields of a row type and
 * the column and PostgreSQL type each is stored in; every write statement is then built from that
 * map (see write-plan.ts), never spliced by hand with numbered parameters.
 */

/** The PostgreSQL types a column map knows how to send as an array parameter. */
export type ColumnType = 'text' | 'uuid' | 'int' | 'bigint' | 'bool' | 'timestamptz' | 'jsonb' | 'text[]';

export interface ColumnSpec {
  /** The column's name in the table. */
  name: string;
  type: ColumnType;
}

export type ColumnMap<R> = { readonly [K in keyof R]-?: ColumnSpec };

/** One table as a service writes it: row fields → columns, and the fields of its unique key. */
export interface Table<R> {
  readonly name: string;
  readonly columns: ColumnMap<R>;
  /** The primary (or unique) key: what an upsert conflicts on and an update matches on. */
  readonly key: readonly (keyof R & string)[];
}

/** A write a fact handler asks for; the library turns a batch of them into a few multi-row statements. */
export type Write =
  | { readonly op: 'insert'; readonly table: Table<any>; readonly row: Record<string, unknown>; readonly ifExists: 'skip' | 'fail' }
  | { readonly op: 'upsert'; readonly table: Table<any>; readonly row: Record<string, unknown>; readonly update: readonly string[] }
  | { readonly op: 'update'; readonly table: Table<any>; readonly row: Record<string, unknown>; readonly set: readonly string[] };

/** Declares a table. `key` must name fields of the map. */
export function defineTable<R>(name: string, columns: ColumnMap<R>, key: readonly (keyof R & string)[]): Table<R> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`table name ${name} is not a plain identifier`);
  for (const [field, c] of Object.entries(columns) as [string, ColumnSpec][]) {
    if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new Error(`${name}.${field}: column ${c.name} is not a plain identifier`);
  }
  for (const k of key) if (!(k in columns)) throw new Error(`${name}: key field ${k} is not in the column map`);
  return { name, columns, key };
}

/** Insert `row`; a row with the same key is an error (`ifExists: 'fail'`, default) or left alone (`'skip'`). */
export function insertRow<R>(table: Table<R>, row: R, opts: { ifExists?: 'skip' | 'fail' } = {}): Write {
  return { op: 'insert', table, row: row as Record<string, unknown>, ifExists: opts.ifExists ?? 'fail' };
}

/** Insert `row`, or, when its key exists, overwrite the fields listed in `update` (all but the key by default). */
export function upsertRow<R>(table: Table<R>, row: R, update?: readonly (keyof R & string)[]): Write {
  const fields = update ?? (Object.keys(table.columns) as (keyof R & string)[]).filter((f) => !table.key.includes(f));
  return { op: 'upsert', table, row: row as Record<string, unknown>, update: fields };
}

/** Set the given fields of the row whose key `row` carries. A key that matches no row changes nothing. */
export function updateRow<R, K extends keyof R & string>(table: Table<R>, row: Pick<R, K> & Partial<R>, set: readonly K[] | readonly (keyof R & string)[]): Write {
  for (const k of table.key) if (!(k in row)) throw new Error(`update of ${table.name} needs its key field ${k}`);
  if (set.length === 0) throw new Error(`update of ${table.name} sets nothing`);
  return { op: 'update', table, row: row as Record<string, unknown>, set: set as readonly string[] };
}
