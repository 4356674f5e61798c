import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { NatsConnection } from '@certflow/messaging';
import { NATS_CONNECTION, callRpc } from '@certflow/messaging';
import { RPC, type HostAssignmentsView } from '@certflow/contracts';
import { Allow } from '../../access/auth/allow.decorator';

/** A host's usages and the certificate bound to each; owned by the assignment service. */
@ApiTags('hosts')
@ApiBearerAuth()
@Controller('api/v1/hosts')
export class HostsController {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  @Get(':host/assignments')
  @Allow('read', { host: 'path' })
  @ApiOperation({ summary: "The host's usages and which certificate each is bound to, with history" })
  async assignments(@Param('host') host: string): Promise<HostAssignmentsView> {
    return callRpc<HostAssignmentsView>(this.nc, RPC.hostAssignments, { host: host.toLowerCase() });
  }
}
