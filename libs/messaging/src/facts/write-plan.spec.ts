import { defineTable, insertRow, updateRow, upsertRow } from './table';
import { combineStatements, planWrites } from './write-plan';

interface Binding {
  host: string;
  usage: string;
  thumbprint: string;
  waitingOn: string[] | null;
  at: Date;
}
const BINDINGS = defineTable<Binding>(
  'binding',
  {
    host: { name: 'host', type: 'text' },
    usage: { name: 'usage', type: 'text' },
    thumbprint: { name: 'thumbprint', type: 'text' },
    waitingOn: { name: 'waiting_on', type: 'text[]' },
    at: { name: 'assigned_at', type: 'timestamptz' },
  },
  ['host', 'usage'],
);
const at = new Date('2026-12-03T00:00:00Z');
const row = (host: string, usage: string, thumbprint: string): Binding => ({ host, usage, thumbprint, waitingOn: null, at });

describe('planWrites', () => {
  it('makes one statement per shape whatever the number of rows, with one array parameter per column', () => {
    const one = planWrites([insertRow(BINDINGS, row('a', 'Default', 't1'))]);
    const three = planWrites(['a', 'b', 'c'].map((h) => insertRow(BINDINGS, row(h, 'Default', 't1'))));
    expect(three).toHaveLength(1);
    expect(three[0].text).toBe(one[0].text);
    expect(three[0].rows).toBe(3);
    expect(three[0].text).toBe(
      'INSERT INTO binding (assigned_at, host, thumbprint, usage, waiting_on) SELECT u.c0, u.c1, u.c2, u.c3, ' +
        'CASE WHEN u.c4 IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(u.c4)) END ' +
        'FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) AS u(c0, c1, c2, c3, c4)',
    );
    expect(three[0].values[1]).toEqual(['a', 'b', 'c']);
  });

  it('sends an array column as JSON and leaves absent values NULL', () => {
    const [st] = planWrites([insertRow(BINDINGS, { ...row('a', 'Default', 't1'), waitingOn: ['x', 'y'] }), insertRow(BINDINGS, row('b', 'Default', 't1'))]);
    expect(st.values[4]).toEqual(['["x","y"]', null]);
  });

  it('keeps the first appearance order of shapes, and splits rows that set different fields', () => {
    const plan = planWrites([
      updateRow(BINDINGS, { host: 'a', usage: 'Default', thumbprint: 't2' }, ['thumbprint']),
      insertRow(BINDINGS, row('b', 'Default', 't1'), { ifExists: 'skip' }),
      updateRow(BINDINGS, { host: 'c', usage: 'Default', thumbprint: 't3', at }, ['thumbprint', 'at']),
      updateRow(BINDINGS, { host: 'd', usage: 'Default', thumbprint: 't4' }, ['thumbprint']),
    ]);
    expect(plan.map((p) => p.text.split(' ')[0])).toEqual(['UPDATE', 'INSERT', 'UPDATE']);
    expect(plan[0].text).toBe('UPDATE binding AS t SET thumbprint = u.c2 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(c0, c1, c2) WHERE t.host = u.c0 AND t.usage = u.c1');
    expect(plan[0].values).toEqual([['a', 'd'], ['Default', 'Default'], ['t2', 't4']]);
    expect(plan[1].text.endsWith(' ON CONFLICT DO NOTHING')).toBe(true);
  });

  it('keeps the last of two upserts of one key (PostgreSQL refuses to change a row twice in one statement)', () => {
    const [st] = planWrites([upsertRow(BINDINGS, row('a', 'Default', 't1')), upsertRow(BINDINGS, row('b', 'Default', 't1')), upsertRow(BINDINGS, row('a', 'Default', 't9'))]);
    expect(st.rows).toBe(2);
    expect(st.values[1]).toEqual(['b', 'a']);
    expect(st.values[2]).toEqual(['t1', 't9']);
    expect(st.text).toContain('ON CONFLICT (host, usage) DO UPDATE SET thumbprint = EXCLUDED.thumbprint, waiting_on = EXCLUDED.waiting_on, assigned_at = EXCLUDED.assigned_at');
  });

  it('returns the keys of the rows written when asked, so a caller learns which inserts a conflict skipped', () => {
    const [insert] = planWrites([insertRow(BINDINGS, row('a', 'Default', 't1'), { ifExists: 'skip' })], { returningKeys: true });
    expect(insert.text.endsWith(' ON CONFLICT DO NOTHING RETURNING host, usage')).toBe(true);
    const [update] = planWrites([updateRow(BINDINGS, { host: 'a', usage: 'Default', thumbprint: 't2' }, ['thumbprint'])], { returningKeys: true });
    expect(update.text.endsWith(' RETURNING t.host, t.usage')).toBe(true);
  });

  it('combines statements on different tables into one, renumbering their parameters, and keeps two on one table apart', () => {
    const other = defineTable<{ id: string }>('history', { id: { name: 'id', type: 'text' } }, ['id']);
    const [one] = combineStatements(planWrites([insertRow(BINDINGS, row('a', 'Default', 't1')), insertRow(other, { id: 'h1' })]));
    expect(one.text).toMatch(/^WITH w0 AS \(INSERT INTO binding .*\$5::jsonb\[\]\) AS u\(c0, c1, c2, c3, c4\)\), w1 AS \(INSERT INTO history \(id\) SELECT u\.c0 FROM unnest\(\$6::text\[\]\) AS u\(c0\)\) SELECT 1$/);
    expect(one.values).toHaveLength(6);
    expect(one.values[5]).toEqual(['h1']);
    const apart = combineStatements(planWrites([insertRow(BINDINGS, row('a', 'Default', 't1')), updateRow(BINDINGS, { host: 'a', usage: 'Default', thumbprint: 't2' }, ['thumbprint'])]));
    expect(apart).toHaveLength(2);
  });

  it('refuses a field the column map does not know, and names that are not plain identifiers', () => {
    expect(() => planWrites([insertRow(BINDINGS, { ...row('a', 'Default', 't1'), extra: 1 } as Binding)])).toThrow('binding has no column for field extra');
    expect(() => defineTable<{ a: string }>('bad; DROP TABLE x', { a: { name: 'a', type: 'text' } }, ['a'])).toThrow('not a plain identifier');
    expect(() => updateRow(BINDINGS, { host: 'a' } as Binding, ['thumbprint'])).toThrow('needs its key field usage');
  });
});
