import { isUniqueViolation, pgErrorCode } from './pg-error.codes';
import { assertSchemaName } from './service-database.options';
import { databaseNameOf, quoteIdent, redactUrl, withDatabase } from './database.provisioner';

describe('isUniqueViolation', () => {
  it.each([
    ['a pg error with code 23505', { code: '23505' }, true],
    ['a TypeORM QueryFailedError whose driverError has code 23505', { driverError: { code: '23505' } }, true],
    ['a foreign-key violation', { code: '23503' }, false],
    ['a plain Error', new Error('boom'), false],
    ['null', null, false],
  ])('is %s → %s', (_label, err, expected) => {
    expect(isUniqueViolation(err)).toBe(expected);
  });

  it('reads the code from the error itself before its driverError', () => {
    expect(pgErrorCode({ code: '42P04', driverError: { code: '23505' } })).toBe('42P04');
  });
});

describe('assertSchemaName', () => {
  it.each(['request', 'ca_gateway', '_x1', 'test_messaging_ab12'])('accepts %s', (name) => {
    expect(() => assertSchemaName(name)).not.toThrow();
  });
  it.each(['', 'Request', 'ca-gateway', '1abc', 'a b', 'x;drop', 'pg_catalog', 'a'.repeat(64)])('refuses %j', (name) => {
    expect(() => assertSchemaName(name)).toThrow(/invalid schema name/);
  });
});

describe('database URL helpers', () => {
  const url = 'postgres://user:secret@db.example:5433/certflow?sslmode=disable';

  it('reads the database name', () => {
    expect(databaseNameOf(url)).toBe('certflow');
  });
  it('refuses a URL without a database', () => {
    expect(() => databaseNameOf('postgres://postgres@127.0.0.1:5432/')).toThrow(/names no database/);
  });
  it('points the same URL at another database, keeping options', () => {
    expect(withDatabase(url, 'postgres')).toBe('postgres://user:secret@db.example:5433/postgres?sslmode=disable');
  });
  it('masks the password', () => {
    expect(redactUrl(url)).not.toContain('secret');
  });
  it('quotes identifiers', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });
});
