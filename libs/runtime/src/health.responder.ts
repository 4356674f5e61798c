import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NATS_CONNECTION, serveRpc } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { RPC } from '@certflow/contracts';
import type { NatsConnection, Subscription } from '@certflow/messaging';
import type { DataSource } from 'typeorm';

export const SERVICE_NAME = 'CERTFLOW_SERVICE_NAME';

/** What a service answers on `rpc.certflow.<service>.ping`; request's /readyz asks every service. */
export interface PingReply {
  service: string;
  ok: boolean;
  database: boolean;
}

/**
 * Answers readiness pings over NATS, so /readyz can tell that each service is up and reaches its
 * own database without any service exposing a port of its own.
 */
@Injectable()
export class HealthResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  onApplicationBootstrap() {
    this.subscription = serveRpc(this.nc, RPC.ping(this.service), () => this.check());
  }

  async check(): Promise<PingReply> {
    let database = false;
    try {
      await this.dataSource.query('SELECT 1');
      database = true;
    } catch {
      database = false;
    }
    return { service: this.service, ok: database, database };
  }

  onApplicationShutdown() {
    this.subscription?.unsubscribe();
  }
}
