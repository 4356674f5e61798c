import type { ColumnSpec, ColumnType, Table, Write } from './table';

/**
 * The plan as few round trips as it can be: statements on different tables go as one statement
 * (data-modifying CTEs, parameters renumbered), since each round trip costs PostgreSQL and the
 * service more than the rows it carries. Statements of one plan that touch the same table stay
 * separate and in order: sub-statements of one statement all see the snapshot taken before it, so
 * an update could miss the row an insert beside it writes.
 */
export function combineStatements(plan: readonly PlannedStatement[]): PlannedStatement[] {
  const tables = plan.map((st) => /^(?:INSERT INTO|UPDATE) (\w+)/.exec(st.text)?.[1]);
  if (plan.length < 2 || tables.some((t) => !t) || new Set(tables).size !== tables.length) return [...plan];
  let offset = 0;
  const parts: string[] = [];
  const values: unknown[] = [];
  plan.forEach((st, i) => {
    const shift = offset;
    // Only the statements' own placeholders ($n::type[]) are renumbered: values never reach the text.
    parts.push(`w${i} AS (${st.text.replace(/\$(\d+)::/g, (_, n: string) => `$${Number(n) + shift}::`)})`);
    values.push(...st.values);
    offset += st.values.length;
  });
  return [{ text: `WITH ${parts.join(', ')} SELECT 1`, values, rows: plan.reduce((n, st) => n + st.rows, 0) }];
}

/** One statement of a plan: text stable per shape (so PostgreSQL keeps it prepared), values per batch. */
export interface PlannedStatement {
  text: string;
  values: unknown[];
  /** How many writes of the batch it carries. */
  rows: number;
}

const ARRAY_TYPE: Record<ColumnType, string> = {
  text: 'text[]',
  uuid: 'uuid[]',
  int: 'int[]',
  bigint: 'bigint[]',
  bool: 'bool[]',
  timestamptz: 'timestamptz[]',
  jsonb: 'jsonb[]',
  // An array column cannot be one element of an unnested array: it travels as a JSON array.
  'text[]': 'jsonb[]',
};

/** The value of one row's field as an element of the column's array parameter. */
function element(spec: ColumnSpec, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (spec.type === 'jsonb' || spec.type === 'text[]') return JSON.stringify(v);
  return v;
}

/** The unnested column `u.cN` as the value the table's column takes. */
function valueOf(spec: ColumnSpec, alias: string): string {
  if (spec.type !== 'text[]') return alias;
  return `CASE WHEN ${alias} IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(${alias})) END`;
}

interface Group {
  shape: string;
  write: Write;
  fields: string[];
  rows: Record<string, unknown>[];
}

/**
 * Turns the writes of a whole batch into as few statements as there are write shapes (table,
 * operation, fields): each statement takes every row of its shape from one array parameter per
 * column (`unnest`), so the statement text — and PostgreSQL's plan of it — is the same whatever the
 * batch size. Shapes run in the order they first appear in `writes`; rows of a shape keep their order.
 * An upsert or update of one key twice in a batch keeps the last (PostgreSQL refuses to change a row
 * twice in one statement).
 */
export function planWrites(writes: readonly Write[], opts: { returningKeys?: boolean } = {}): PlannedStatement[] {
  const groups = new Map<string, Group>();
  for (const w of writes) {
    const fields = fieldsOf(w);
    const shape = `${w.op}|${w.table.name}|${fields.join(',')}|${w.op === 'insert' ? w.ifExists : w.op === 'upsert' ? w.update.join(',') : w.set.join(',')}`;
    let g = groups.get(shape);
    if (!g) {
      g = { shape, write: w, fields, rows: [] };
      groups.set(shape, g);
    }
    g.rows.push(w.row);
  }
  return [...groups.values()].map((g) => {
    const st = statementFor(g);
    if (!opts.returningKeys) return st;
    // The keys of the rows the statement really wrote (an insert that skipped a conflict returns none for it).
    const keys = g.write.table.key.map((k) => `${g.write.op === 'update' ? 't.' : ''}${(g.write.table.columns as Record<string, ColumnSpec>)[k].name}`);
    return { ...st, text: `${st.text} RETURNING ${keys.join(', ')}` };
  });
}

function fieldsOf(w: Write): string[] {
  const columns = w.table.columns as Record<string, ColumnSpec>;
  const fields = w.op === 'update' ? [...w.table.key, ...w.set.filter((f) => !w.table.key.includes(f))] : Object.keys(w.row).filter((f) => w.row[f] !== undefined);
  for (const f of fields) if (!columns[f]) throw new Error(`${w.table.name} has no column for field ${f}`);
  // Sorted (keys first for updates), so rows built with their fields in another order share a shape.
  return w.op === 'update' ? fields : fields.sort();
}

function lastPerKey(table: Table<any>, rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const k = JSON.stringify(table.key.map((f) => r[f] instanceof Date ? (r[f] as Date).toISOString() : r[f]));
    byKey.delete(k);
    byKey.set(k, r);
  }
  return [...byKey.values()];
}

function statementFor(g: Group): PlannedStatement {
  const { write, fields } = g;
  const table = write.table;
  const columns = table.columns as Record<string, ColumnSpec>;
  const rows = write.op === 'insert' ? g.rows : lastPerKey(table, g.rows);
  const specs = fields.map((f) => columns[f]);
  const values = specs.map((spec, i) => rows.map((r) => element(spec, r[fields[i]])));
  const unnest = `unnest(${specs.map((s, i) => `$${i + 1}::${ARRAY_TYPE[s.type]}`).join(', ')}) AS u(${specs.map((_, i) => `c${i}`).join(', ')})`;
  const colOf = (f: string) => columns[f].name;
  const exprOf = (f: string) => valueOf(columns[f], `u.c${fields.indexOf(f)}`);

  if (write.op === 'update') {
    const match = table.key.map((k) => `t.${colOf(k)} = u.c${fields.indexOf(k)}`).join(' AND ');
    const set = write.set.map((f) => `${colOf(f)} = ${exprOf(f)}`).join(', ');
    return { text: `UPDATE ${table.name} AS t SET ${set} FROM ${unnest} WHERE ${match}`, values, rows: rows.length };
  }
  const insert = `INSERT INTO ${table.name} (${fields.map(colOf).join(', ')}) SELECT ${fields.map(exprOf).join(', ')} FROM ${unnest}`;
  if (write.op === 'insert') {
    return { text: write.ifExists === 'skip' ? `${insert} ON CONFLICT DO NOTHING` : insert, values, rows: rows.length };
  }
  const key = table.key.map(colOf).join(', ');
  const update = write.update.filter((f) => fields.includes(f));
  const action = update.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${update.map((f) => `${colOf(f)} = EXCLUDED.${colOf(f)}`).join(', ')}`;
  return { text: `${insert} ON CONFLICT (${key}) ${action}`, values, rows: rows.length };
}
