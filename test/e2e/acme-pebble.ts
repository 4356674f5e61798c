/**
 * Pebble (Let's Encrypt's ACME test CA, Debian package `pebble`) for the ACME end-to-end tests, on
 * loopback and free ports, with pebble-challtestsrv as its DNS so every name resolves to 127.0.0.1
 * and HTTP-01 is validated for real against certflow's challenge responder. Pebble's TLS certificate
 * is made here with openssl (the package ships none); its issuing root is new at every start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@certflow/testing';

export { freePort };

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A throw-away CA and a certificate for 127.0.0.1/localhost signed by it: Pebble's HTTPS identity. */
function makeTls(dir: string): { caPem: string; cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=certflow test Pebble TLS CA'], dir);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.pem', '-days', '2', '-extfile', 'ext.cnf'], dir);
  return { caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: join(dir, 'tls.pem'), key: join(dir, 'tls.key') };
}

async function waitPort(port: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((res) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); res(true); }).once('error', () => res(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface Pebble {
  directoryUrl: string;
  /** The CA that signed Pebble's HTTPS certificate: the issuer's `caTrustPem`. */
  tlsCaPem: string;
  /** The port Pebble validates HTTP-01 on: certflow's CERTFLOW_ACME_HTTP_PORT. */
  httpPort: number;
  logs: string[];
  /** pebble-challtestsrv's management API: the `managementUrl` of a `challtestsrv` dnsProvider (DNS-01). */
  dnsManagementUrl: string;
  /** pebble-challtestsrv's DNS port (UDP/TCP on 127.0.0.1), the server Pebble resolves with. */
  dnsPort: number;
  /** Makes Pebble's DNS answer `host` with `ip` (pebble-challtestsrv /add-a). */
  addA(host: string, ip: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Pebble's issuing root of this run (management API `/roots/0`). */
  rootPem(): Promise<string>;
  /** What Pebble says of a certificate it issued (management API `/cert-status-by-serial/<hex>`): `Valid`, `Revoked`… */
  certStatus(serialHex: string): Promise<{ Status: string; Reason?: number }>;
  close(): Promise<void>;
}

export interface PebbleOptions {
  /** The port Pebble validates HTTP-01 on (several Pebbles may share certflow's one responder). */
  httpPort?: number;
  /**
   * External account binding required, with these MAC keys (key id → base64url HMAC key, no padding),
   * as in /usr/share/doc/pebble/examples/pebble-config-external-account-bindings.json.
   */
  eabKeys?: Record<string, string>;
}

export async function startPebble(env: Record<string, string> = {}, opts: PebbleOptions = {}): Promise<Pebble> {
  for (const bin of ['/usr/bin/pebble', '/usr/bin/pebble-challtestsrv']) {
    if (spawnSync('test', ['-x', bin]).status !== 0) throw new Error(`${bin} is missing: apt-get install -y pebble (npm test does this)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'certflow-pebble-'));
  const tls = makeTls(dir);
  const [acmePort, mgmtPort, freeHttpPort, tlsPort, dnsPort, dnsMgmtPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const httpPort = opts.httpPort ?? freeHttpPort;
  const configPath = join(dir, 'pebble-config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: tls.cert,
        privateKey: tls.key,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: !!opts.eabKeys,
        ...(opts.eabKeys ? { externalAccountMACKeys: opts.eabKeys } : {}),
      },
    }),
  );
  const logs: string[] = [];
  const dns = spawn(
    '/usr/bin/pebble-challtestsrv',
    ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsMgmtPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  dns.stdout!.on('data', (d) => logs.push(`[dns] ${d}`));
  dns.stderr!.on('data', (d) => logs.push(`[dns] ${d}`));
  await waitPort(dnsMgmtPort);
  let pebble: ChildProcess | undefined;
  const start = async () => {
    pebble = spawn('/usr/bin/pebble', ['-config', configPath, '-dnsserver', `127.0.0.1:${dnsPort}`], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pebble.stdout!.on('data', (d) => logs.push(String(d)));
    pebble.stderr!.on('data', (d) => logs.push(String(d)));
    await waitPort(acmePort);
    await waitPort(mgmtPort);
  };
  await start();
  const management = (path: string) =>
    new Promise<string>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${mgmtPort}${path}`, { ca: tls.caPem }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path} answered ${res.statusCode}: ${body}`))));
        })
        .on('error', reject);
    });
  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    tlsCaPem: tls.caPem,
    httpPort,
    dnsManagementUrl: `http://127.0.0.1:${dnsMgmtPort}`,
    dnsPort,
    logs,
    addA: async (host, ip) => {
      const res = await fetch(`http://127.0.0.1:${dnsMgmtPort}/add-a`, { method: 'POST', body: JSON.stringify({ host: `${host}.`, addresses: [ip] }) });
      if (!res.ok) throw new Error(`add-a answered ${res.status}`);
    },
    start,
    stop: () => stopChild(pebble),
    rootPem: () => management('/roots/0'),
    certStatus: async (serialHex) => JSON.parse(await management(`/cert-status-by-serial/${serialHex.toLowerCase()}`)),
    close: async () => {
      await stopChild(pebble);
      await stopChild(dns);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The issuers setting pointing certflow at these Pebbles, by issuer name (they share one HTTP-01 port). */
export function pebbleIssuers(pebbles: Record<string, Pebble>): Record<string, string> {
  const [first] = Object.values(pebbles);
  return {
    CERTFLOW_ISSUERS: JSON.stringify([
      { name: 'internal', type: 'internal' },
      ...Object.entries(pebbles).map(([name, pebble]) => ({
        name,
        type: 'acme',
        directoryUrl: pebble.directoryUrl,
        contact: 'pki@example.com',
        challenge: 'http-01',
        caTrustPem: pebble.tlsCaPem,
      })),
    ]),
    CERTFLOW_ACME_HTTP_PORT: String(first.httpPort),
  };
}
