import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import {
  CertificateAssignedV1,
  CertificateIssuedV1,
  ChainCompleteV1,
  ChainIncompleteV1,
  RequestFailedV1,
  RequestPendingV1,
  parseEvent,
  type CloudEvent,
  type EventDefinition,
} from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import { FactSignals, JetStreamContext, OutboxRelay, RetryLaterError } from '@certflow/messaging';
import { CertificateCatalogService } from '../../edge/catalog/certificate-catalog.service';
import { HTTP_LOGGER } from '../../http/http-logger';
import type { RequestCommand } from '../domain/certificate-request.state';
import { RequestCommandService } from '../commands/request-command.service';

/** How long a fact that came too early waits in-process for the one it follows before going back to JetStream. */
const NOT_YET_WAIT_MS = 3_000;

type FactCommand = Exclude<RequestCommand, { type: 'Submit' }>;

/**
 * Facts published by the other services, turned into commands on the request they concern.
 * Each runs once per event id (inbox), in one statement with the state change (see
 * `RequestCommandService.runFact`), and is acked after it. A fact that overtook the one it follows is retried a moment later.
 */
@Controller()
export class RequestFactsConsumer {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly commands: RequestCommandService,
    private readonly catalog: CertificateCatalogService,
    private readonly relay: OutboxRelay,
    private readonly changes: FactSignals,
    @Inject(HTTP_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern<string>(RequestPendingV1.subject)
  async onPending(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(RequestPendingV1, raw);
    await this.apply(RequestPendingV1, e, { type: 'MarkPending', at: new Date(e.time), detail: e.data.detail });
  }

  @EventPattern<string>(CertificateIssuedV1.subject)
  async onIssued(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(CertificateIssuedV1, raw);
    const { certificate, chain, thumbprint } = e.data;
    await this.apply(CertificateIssuedV1, e, { type: 'RecordIssued', at: new Date(e.time), thumbprint, certificate, chain }, (m) =>
      this.catalog.remember(m, [certificate, ...chain], new Date(e.time)),
    );
  }

  @EventPattern<string>(ChainCompleteV1.subject)
  async onChainComplete(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(ChainCompleteV1, raw);
    await this.apply(ChainCompleteV1, e, { type: 'RecordChainComplete', at: new Date(e.time), thumbprint: e.data.thumbprint, path: e.data.path });
  }

  @EventPattern<string>(ChainIncompleteV1.subject)
  async onChainIncomplete(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(ChainIncompleteV1, raw);
    const { thumbprint, missing, reasons } = e.data;
    await this.apply(ChainIncompleteV1, e, { type: 'RecordChainIncomplete', at: new Date(e.time), thumbprint, missing, reasons });
  }

  @EventPattern<string>(CertificateAssignedV1.subject)
  async onAssigned(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(CertificateAssignedV1, raw);
    const { thumbprint, usages, notBound } = e.data;
    await this.apply(CertificateAssignedV1, e, { type: 'RecordAssigned', at: new Date(e.time), thumbprint, usages, notBound });
  }

  @EventPattern<string>(RequestFailedV1.subject)
  async onFailed(@Payload() raw: unknown, @Ctx() _ctx: JetStreamContext) {
    const e = parseEvent(RequestFailedV1, raw);
    const { stage, code, message } = e.data;
    await this.apply(RequestFailedV1, e, { type: 'Fail', at: new Date(e.time), stage, code, message });
  }

  private async apply<T extends { requestId: string }>(
    def: EventDefinition<string, T>,
    event: CloudEvent<string, T>,
    command: FactCommand,
    alongside?: (m: import('typeorm').EntityManager) => Promise<void>,
  ): Promise<void> {
    const consumer = `request.${def.subject}`;
    const id = event.data.requestId;
    let result = await this.commands.runFact(this.ds, { consumer, eventId: event.id }, id, command, alongside);
    // A fact that overtook the one it follows waits here for it (see FactSignals). The waiter is
    // registered before deciding again, so a change that lands in between still wakes it.
    const deadline = Date.now() + NOT_YET_WAIT_MS;
    while (result?.decision.kind === 'notYet' && Date.now() < deadline) {
      const changed = this.changes.wait(id, Math.min(deadline - Date.now(), 500));
      result = await this.commands.runFact(this.ds, { consumer, eventId: event.id }, id, command, alongside);
      if (result?.decision.kind === 'notYet') await changed;
    }
    const decision = result?.decision;
    if (decision?.kind === 'notYet') throw new RetryLaterError(`${def.subject} for ${event.data.requestId}: ${decision.reason}`, 100);
    if (decision?.kind === 'ignored' && decision.foreign) {
      // Recorded in the inbox and acked like any fact; it changed nothing, but someone published it.
      this.logger.warn({ requestId: event.data.requestId, subject: def.subject, eventId: event.id, source: event.source, reason: decision.reason }, 'fact about another certificate ignored');
    }
    if (decision?.kind === 'rejected') this.logger.warn({ requestId: event.data.requestId, subject: def.subject, code: decision.code }, 'event for an unknown request ignored');
    if (decision?.kind === 'accepted' && result?.published) this.relay.publishCommitted(result.published);
  }
}
