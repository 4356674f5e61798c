import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@certflow/messaging';
import { DATA_SOURCE } from '@certflow/persistence';
import { NATS_CONNECTION, callRpc } from '@certflow/messaging';
import { RPC } from '@certflow/contracts';
import { checkDependencies } from '@certflow/runtime';
import { Public } from '../../access/auth/token.guard';

const SERVICES = ['ca-gateway', 'trust-validation', 'assignment'];

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource, @Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  @Get('healthz')
  @ApiOperation({ summary: 'The process is up' })
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'NATS, PostgreSQL and every service answer (each within 1 s); 503 otherwise, saying which does not' })
  async readyz(@Res({ passthrough: true }) res: Response) {
    // NATS counts as up only if it answers a PING now: a connection that is reconnecting is down.
    const checks: Record<string, boolean> = { ...(await checkDependencies(this.ds, this.nc)) };
    checks.request = checks.postgres && checks.nats;
    // Skipped when NATS is down: they would only time out, and the answer is already 503.
    await Promise.all(
      SERVICES.map(async (s) => {
        checks[s] = checks.nats && (await callRpc<unknown>(this.nc, RPC.ping(s), {}, 1000).then((r) => (r as { ok?: boolean }).ok === true, () => false));
      }),
    );
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks };
  }
}
