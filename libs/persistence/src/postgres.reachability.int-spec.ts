/** Whether a PostgreSQL server answers, as a service's start-up asks: an outage is a reason to wait, any answer is not. */
import { createServer } from 'node:net';
import { postgresOutageReason, postgresTarget, probePostgres } from './postgres.reachability';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

async function unusedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('probePostgres', () => {
  describe('when the server answers', () => {
    it('answers undefined (reachable)', async () => {
      await expect(probePostgres(`${SERVER}/postgres`)).resolves.toBeUndefined();
    });

    it('answers undefined even for a database that does not exist yet (the service creates it)', async () => {
      await expect(probePostgres(`${SERVER}/certflow_probe_absent_db`)).resolves.toBeUndefined();
    });
  });

  describe('when nothing listens on the port', () => {
    it('answers the reason, "connection refused"', async () => {
      await expect(probePostgres(`postgres://postgres@127.0.0.1:${await unusedPort()}/x`)).resolves.toBe('connection refused');
    });
  });
});

describe('postgresOutageReason', () => {
  it.each([
    ['a refused connection', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'connection refused'],
    ['localhost refused over IPv4 and IPv6', Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }], ''), {}), 'connection refused'],
    ['a server still starting', { code: '57P03', message: 'the database system is starting up' }, 'the database system is starting up'],
    ['a socket closed before the server spoke', new Error('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
    ['a wrong password', { code: '28P01', message: 'password authentication failed' }, undefined],
    ['a database that does not exist', { code: '3D000', message: 'database "x" does not exist' }, undefined],
  ])('%s → %p', (_, err, reason) => {
    expect(postgresOutageReason(err)).toBe(reason);
  });
});

describe('postgresTarget', () => {
  it('hides the password', () => {
    expect(postgresTarget('postgres://app:secret@db:5432/certflow')).toBe('postgres://app:***@db:5432/certflow');
  });
});
