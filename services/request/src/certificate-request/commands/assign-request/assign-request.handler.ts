import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@certflow/persistence';
import { OutboxRelay } from '@certflow/messaging';
import { isUsage, USAGES, type Usage } from '@certflow/contracts';
import type { Clock } from '@certflow/pki';
import { CLOCK } from '@certflow/runtime';
import { ApiError } from '../../../http/api-error';
import { validationOf, type RequestSnapshot } from '../../domain/certificate-request.state';
import { RequestCommandService } from '../request-command.service';
import { MAX_USAGES, tooManyUsages } from '../submit-request/submit-request.input';

/**
 * POST /api/v1/requests/{id}/assign: the wizard's Assign button. Only an ASSIGNABLE request is
 * accepted; the assignment service then binds it and `certificate.assigned` makes it ASSIGNED.
 */
@Injectable()
export class AssignRequestHandler {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly commands: RequestCommandService,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(id: string, body: unknown, actor?: string): Promise<{ accepted: boolean; request: RequestSnapshot }> {
    const usages = parseUsages(body);
    const result = await this.ds.transaction((m) => this.commands.run(m, id, { type: 'Assign', at: this.clock.now(), usages, actor }));
    const { decision, state } = result;
    if (!state) throw new ApiError(404, 'REQUEST_NOT_FOUND', `no request ${id}`);
    if (decision.kind === 'rejected') {
      throw new ApiError(409, decision.code, decision.message, { state: state.state, validation: validationOf(state) ?? null });
    }
    if (decision.kind === 'accepted') this.relay.kick();
    return { accepted: decision.kind === 'accepted', request: state };
  }
}

function parseUsages(body: unknown): Usage[] | undefined {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'INVALID_BODY', 'send {} or {"usages": [...]}');
  const u = (body as { usages?: unknown }).usages;
  if (u === undefined) return undefined;
  if (Array.isArray(u) && u.length > MAX_USAGES) throw tooManyUsages(u.length);
  if (!Array.isArray(u) || u.length === 0 || !u.every(isUsage)) {
    throw new ApiError(400, 'UNKNOWN_USAGE', `\`usages\` must be a non-empty array of ${USAGES.join(', ')}`);
  }
  return u;
}
