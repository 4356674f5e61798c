import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import type { PgHttpChallengeStore } from './http-challenge.store';

const PREFIX = '/.well-known/acme-challenge/';

/**
 * Answers HTTP-01 validation requests (`GET /.well-known/acme-challenge/<token>`) from the shared
 * challenge table, on CERTFLOW_ACME_HTTP_HOST:CERTFLOW_ACME_HTTP_PORT. The CA reaches it at port 80
 * of each name in production (a load balancer or port forward in front), at its configured port in tests.
 */
export class HttpChallengeResponder {
  private readonly log = new Logger(HttpChallengeResponder.name);
  private server?: Server;

  constructor(private readonly store: PgHttpChallengeStore, private readonly host: string, private readonly port: number) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' || !path.startsWith(PREFIX)) {
        res.writeHead(404).end();
        return;
      }
      const token = path.slice(PREFIX.length);
      this.store
        .get(token)
        .then((keyAuthorization) => {
          if (!keyAuthorization) return void res.writeHead(404).end();
          res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(keyAuthorization);
        })
        .catch((err) => {
          this.log.error(`HTTP-01 lookup failed: ${(err as Error).message}`);
          res.writeHead(503).end();
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.log.log(`HTTP-01 challenge responder listening on ${this.host}:${port}`);
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
