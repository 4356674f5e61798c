import type { Usage } from './usages';
import type { HostAssignmentsView } from './views';

/**
 * Added to the contract: one past binding of a host's usage, as the assignment service answers
 * `RPC.hostAssignments` (newest first, at most 50).
 */
export interface BindingHistoryEntry {
  usage: Usage;
  thumbprint: string;
  requestId: string;
  assignedAt: string;
  /** The certificate this binding replaced on that usage; `null` for the first binding. */
  replacedThumbprint: string | null;
}

/** The answer to `RPC.hostAssignments`: the current bindings plus their history. */
export interface HostAssignmentsWithHistory extends HostAssignmentsView {
  history: BindingHistoryEntry[];
}
