import type { Usage } from '@certflow/contracts';
import type { HostBindings } from './persistence/assignment.reads';

/**
 * What a request still holds of a certificate whose chain broke, per host, usages sorted: only
 * bindings of that very request and thumbprint (the same certificate under another request is that
 * request's own chain.broken to report).
 */
export function untrustedBindings(bindings: HostBindings, requestId: string, thumbprint: string): { host: string; usages: Usage[] }[] {
  const byHost = new Map<string, Usage[]>();
  for (const [key, holder] of bindings.bound) {
    if (holder.requestId !== requestId || holder.thumbprint !== thumbprint) continue;
    const cut = key.indexOf('|');
    const host = key.slice(0, cut);
    byHost.set(host, [...(byHost.get(host) ?? []), key.slice(cut + 1) as Usage]);
  }
  return [...byHost].sort(([a], [b]) => a.localeCompare(b)).map(([host, usages]) => ({ host, usages: usages.sort() }));
}
