import type { DnsProviderConfig } from '@certflow/runtime';

/**
 * Publishes DNS-01 TXT records. One small interface so a site adds its DNS (an API, nsupdate) as one
 * class; `name` is the full record name (`_acme-challenge.<host>`), `value` the digest to publish.
 */
export interface DnsChallengeProvider {
  present(name: string, value: string): Promise<void>;
  cleanUp(name: string, value: string): Promise<void>;
}

/** Pebble's test DNS server (pebble-challtestsrv) through its management API: tests and labs. */
export class ChalltestsrvDnsProvider implements DnsChallengeProvider {
  constructor(private readonly managementUrl: string) {}

  async present(name: string, value: string): Promise<void> {
    await this.post('/set-txt', { host: `${name}.`, value });
  }

  async cleanUp(name: string): Promise<void> {
    await this.post('/clear-txt', { host: `${name}.` });
  }

  private async post(path: string, body: unknown): Promise<void> {
    const res = await fetch(new URL(path, this.managementUrl), { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`DNS provider ${this.managementUrl}${path} answered ${res.status}`);
  }
}

export function dnsProviderFor(config: DnsProviderConfig | undefined): DnsChallengeProvider | undefined {
  if (!config) return undefined;
  switch (config.type) {
    case 'challtestsrv':
      return new ChalltestsrvDnsProvider(config.managementUrl);
    default: {
      const unknown: never = config.type;
      throw new Error(`unknown DNS provider ${String(unknown)}`);
    }
  }
}
