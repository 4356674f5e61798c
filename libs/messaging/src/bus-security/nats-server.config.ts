import type { NatsPermissions } from './bus.permissions';

/** Everything a certflow-generated nats-server configuration says. */
export interface NatsServerConfigOptions {
  host: string;
  port: number;
  /** HTTP monitoring (/healthz, /connz); omitted = off. */
  monitorPort?: number;
  storeDir: string;
  /** Each identity's public nkey and permissions. Nobody else may connect. */
  users: { nkey: string; permissions?: NatsPermissions }[];
  tls?: { certFile: string; keyFile: string; caFile?: string; verify?: boolean };
  /** Written to the server's own log file instead of stderr. */
  logFile?: string;
  pidFile?: string;
}

/**
 * Renders a nats-server configuration. The format is a superset of JSON, so JSON is written: every
 * value is quoted as JSON quotes it, and no subject can break out of its string. With `users` set
 * and no `no_auth_user`, an anonymous connection is refused.
 */
export function renderNatsServerConfig(o: NatsServerConfigOptions): string {
  if (o.users.length === 0) throw new Error('a certflow NATS server needs at least one identity; anonymous access is never configured');
  const config: Record<string, unknown> = {
    host: o.host,
    port: o.port,
    ...(o.monitorPort ? { http: `${o.host}:${o.monitorPort}` } : {}),
    jetstream: { store_dir: o.storeDir },
    authorization: { users: o.users.map((u) => ({ nkey: u.nkey, ...(u.permissions ? { permissions: u.permissions } : {}) })) },
    ...(o.tls ? { tls: { cert_file: o.tls.certFile, key_file: o.tls.keyFile, ...(o.tls.caFile ? { ca_file: o.tls.caFile } : {}), verify: o.tls.verify ?? Boolean(o.tls.caFile) } } : {}),
    ...(o.logFile ? { log_file: o.logFile } : {}),
    ...(o.pidFile ? { pid_file: o.pidFile } : {}),
  };
  return JSON.stringify(config, null, 2) + '\n';
}
