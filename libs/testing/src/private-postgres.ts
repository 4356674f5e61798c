/**
 * A throw-away PostgreSQL cluster (initdb into a temp dir, a free port, trust auth on loopback) for
 * tests that must restart the database. The machine's PostgreSQL is never touched. The binaries
 * refuse to run as root, so they run as the `postgres` user, which owns the data directory.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from './process.wait';

function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: apt-get install -y postgresql');
  return join(base, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

function userIds(name: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error(`user ${name} does not exist (it comes with the postgresql package)`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export class PrivatePostgres {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bin: string,
  ) {}

  /** A URL for database `db` on this cluster. */
  url(db = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'certflow-e2e-pg-'));
    const { uid, gid } = userIds('postgres');
    chownSync(dir, uid, gid);
    const pg = new PrivatePostgres(await freePort(), dir, pgBinDir());
    pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await pg.startServer();
    return pg;
  }

  /** Runs a PostgreSQL binary as the postgres user; throws with its output when it fails. */
  private run(tool: string, args: string[]): void {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', join(this.bin, tool), ...args], { encoding: 'utf8', cwd: this.dir });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stdout}\n${r.stderr}`);
  }

  private async startServer(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=300`;
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
    await waitFor('private PostgreSQL', async () => {
      const c = new Client({ connectionString: this.url() });
      await c.connect();
      await c.end();
      return true;
    }, 30_000);
  }

  /** Stops the server the way a crash does (`-m immediate`: no checkpoint, clients cut off), then starts it again. */
  async restart(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
    await this.startServer();
  }

  async stop(): Promise<void> {
    try {
      this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
