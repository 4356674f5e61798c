/** Whether a NATS server lets a service in, as its start-up asks: an outage is a reason to wait, a refused login is not. */
import { createServer } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, ConnectionError, TimeoutError } from '@nats-io/nats-core';
import { NatsProcess } from '@certflow/testing';
import { inboxPrefixOf } from './bus-security/bus.permissions';
import { connectNats } from './nats.connection';
import { natsOutageReason, natsTarget, probeNats } from './nats.reachability';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('probeNats', () => {
  describe('when the server lets the identity in', () => {
    it('answers undefined (reachable)', async () => {
      await expect(probeNats({ servers: NATS_URL, name: 'test/probe' })).resolves.toBeUndefined();
    });
  });

  describe('when nothing listens on the port', () => {
    it('answers the reason, "connection refused"', async () => {
      await expect(probeNats({ servers: `nats://127.0.0.1:${await freePort()}`, name: 'test/probe' })).resolves.toBe('connection refused');
    });
  });

  describe('when the server refuses the login', () => {
    it('throws: waiting would not help', async () => {
      // The test servers refuse anonymous connections, as npm start's does.
      await expect(probeNats({ servers: NATS_URL, name: 'test/probe', auth: {} })).rejects.toThrow(/authorization/i);
    });
  });
});

describe('connectNats with waitForServer', () => {
  describe('when the server starts only after the connect began', () => {
    it('connects once it is up, as a service identity with its nkey and inbox prefix, and can ask JetStream', async () => {
      const nats = await NatsProcess.prepare();
      try {
        let connected = false;
        const connecting = connectNats({ servers: nats.url, name: 'test/late', auth: nats.auth('assignment'), inboxPrefix: inboxPrefixOf('assignment'), waitForServer: true, timeoutMs: 1_000 });
        void connecting.then(() => (connected = true), () => undefined);
        // Several refused attempts (the client retries every second) before the server exists.
        await new Promise((r) => setTimeout(r, 2_500));
        expect(connected).toBe(false);
        await nats.startServer();
        const nc = await connecting;
        try {
          // $JS.API.INFO answers on the identity's private inbox: the prefix and the grant both hold.
          await expect((await jetstreamManager(nc)).getAccountInfo()).resolves.toMatchObject({ streams: expect.any(Number) });
        } finally {
          await nc.close();
        }
      } finally {
        await nats.stop();
      }
    });
  });
});

describe('natsOutageReason', () => {
  it.each([
    ['a refused TCP connection', new ConnectionError('connection refused', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'connection refused'],
    ['a reset connection', new ConnectionError('read ECONNRESET', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), 'read ECONNRESET'],
    ['a first connection that timed out', new TimeoutError(), expect.any(String)],
    ['a refused login', new AuthorizationError('Authorization Violation'), undefined],
    ['a seed file that does not exist', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), undefined],
  ])('%s → %p', (_, err, reason) => {
    expect(natsOutageReason(err)).toEqual(reason);
  });
});

describe('natsTarget', () => {
  it('drops user and password from every server URL', () => {
    expect(natsTarget('nats://u:secret@10.0.0.1:4222, nats://10.0.0.2:4222')).toBe('nats://10.0.0.1:4222,nats://10.0.0.2:4222');
  });
});
