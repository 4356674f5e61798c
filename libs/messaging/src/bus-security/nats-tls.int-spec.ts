/**
 * TLS to NATS with a CA made for the test (openssl, at run time): the server asks for client
 * certificates; a client configured the way a service is (NATS_TLS_CA / NATS_TLS_CERT /
 * NATS_TLS_KEY beside NATS_NKEY_SEED_FILE) connects and uses JetStream, others are refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsProcess } from '@certflow/testing';
import { connectNats, natsAuthFromEnv } from '../nats.connection';

jest.setTimeout(60_000);

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, and a certificate it signs for `cn` with `ext` (extensions as openssl's -extfile takes them). */
function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
}
function issue(dir: string, ca: string, name: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`], dir);
}

describe('NATS over TLS with client certificates', () => {
  let dir: string;
  let nats: NatsProcess;
  const f = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certflow-nats-tls-'));
    makeCa(dir, 'test-ca');
    makeCa(dir, 'other-ca');
    issue(dir, 'test-ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    issue(dir, 'test-ca', 'client', 'extendedKeyUsage=clientAuth\n');
    issue(dir, 'other-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
    nats = await NatsProcess.start({ tls: { certFile: f('server.pem'), keyFile: f('server.key'), caFile: f('test-ca.pem') } });
  });
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('when the client trusts the CA and shows a certificate it signed', () => {
    it('connects with the environment a service gets, and JetStream answers', async () => {
      const auth = natsAuthFromEnv({ NATS_NKEY_SEED_FILE: nats.seedFile('provisioner'), NATS_TLS_CA: f('test-ca.pem'), NATS_TLS_CERT: f('client.pem'), NATS_TLS_KEY: f('client.key'), NATS_INBOX_PREFIX: '_INBOX_provisioner' });
      const nc = await connectNats({ servers: nats.url, name: 'test/tls', auth });
      try {
        expect((await (await jetstreamManager(nc)).getAccountInfo()).api).toBeDefined();
      } finally {
        await nc.close();
      }
    });
  });

  describe('when the client is not what the server asks for', () => {
    it('is refused without a client certificate', async () => {
      await expect(connectNats({ servers: nats.url, name: 'test/tls-nocert', timeoutMs: 3000, auth: { nkeySeedFile: nats.seedFile('test'), tls: { caFile: f('test-ca.pem') } } })).rejects.toThrow();
    });

    it('is refused with a client certificate from another CA', async () => {
      await expect(
        connectNats({ servers: nats.url, name: 'test/tls-stranger', timeoutMs: 3000, auth: { nkeySeedFile: nats.seedFile('test'), tls: { caFile: f('test-ca.pem'), certFile: f('stranger.pem'), keyFile: f('stranger.key') } } }),
      ).rejects.toThrow();
    });

    it('refuses a server it cannot verify', async () => {
      await expect(
        connectNats({ servers: nats.url, name: 'test/tls-untrusted', auth: { nkeySeedFile: nats.seedFile('test'), tls: { caFile: f('other-ca.pem'), certFile: f('client.pem'), keyFile: f('client.key') } } }),
      ).rejects.toThrow();
    });

    it('is refused with the right certificate but no nkey', async () => {
      await expect(connectNats({ servers: nats.url, name: 'test/tls-anon', auth: { tls: { caFile: f('test-ca.pem'), certFile: f('client.pem'), keyFile: f('client.key') } } })).rejects.toThrow(/Authorization Violation/);
    });
  });
});
