import { Inject, Injectable } from '@nestjs/common';
import { isUsage, type HostAssignmentsWithHistory } from '@certflow/contracts';
import { DATA_SOURCE } from '@certflow/persistence';
import type { DataSource } from 'typeorm';
import { normalizeHost } from '@certflow/contracts';
import { BindingHistoryRow } from './persistence/binding-history.orm-entity';
import { BindingRow } from './persistence/binding.orm-entity';

/** How many past bindings a host view shows. */
export const HISTORY_LIMIT = 50;

/** What a host's usages are bound to, and what they were bound to before. */
@Injectable()
export class HostAssignmentsService {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async forHost(hostText: string): Promise<HostAssignmentsWithHistory> {
    const host = normalizeHost(hostText);
    const [bindings, history] = await Promise.all([
      this.ds.getRepository(BindingRow).find({ where: { host }, order: { usage: 'ASC' } }),
      this.ds.getRepository(BindingHistoryRow).find({ where: { host }, order: { id: 'DESC' }, take: HISTORY_LIMIT }),
    ]);
    const view: HostAssignmentsWithHistory = { host, usages: {}, history: [] };
    for (const b of bindings) {
      if (isUsage(b.usage)) view.usages[b.usage] = { thumbprint: b.thumbprint, requestId: b.requestId, assignedAt: b.assignedAt.toISOString() };
    }
    view.history = history.map((h) => ({
      usage: h.usage,
      thumbprint: h.thumbprint,
      requestId: h.requestId,
      assignedAt: h.assignedAt.toISOString(),
      replacedThumbprint: h.replacedThumbprint,
    }));
    return view;
  }
}
