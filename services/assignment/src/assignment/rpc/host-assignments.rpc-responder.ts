import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HostAssignmentsRequest, RPC, type HostAssignmentsWithHistory } from '@certflow/contracts';
import { NATS_CONNECTION, RpcError, serveRpc } from '@certflow/messaging';
import type { NatsConnection, Subscription } from '@certflow/messaging';
import { HostAssignmentsService } from '../host-assignments.service';

/** Answers "what is bound on this host" (core NATS request/reply, queue group). */
@Injectable()
export class HostAssignmentsRpcResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(HostAssignmentsRpcResponder.name);
  private subscription?: Subscription;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly hosts: HostAssignmentsService,
  ) {}

  onApplicationBootstrap() {
    this.subscription = serveRpc(
      this.nc,
      RPC.hostAssignments,
      async (body): Promise<HostAssignmentsWithHistory> => {
        const req = HostAssignmentsRequest.safeParse(body);
        if (!req.success || !req.data.host.trim()) throw new RpcError('INVALID_REQUEST', 'Send {"host": "<FQDN or IP address>"}.', 400);
        return this.hosts.forHost(req.data.host);
      },
      (err) => this.log.error(`RPC failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
  }

  onApplicationShutdown() {
    this.subscription?.unsubscribe();
  }
}
