import type { CaAdapter, IssueOutcome, StartableCaAdapter } from './ca-adapter.port';
import { CaAdapterRegistry, UnknownIssuerTypeError } from './ca-adapter.registry';

class FakeAdapter implements CaAdapter {
  constructor(readonly type: string, readonly issuer: string) {}
  async issue(): Promise<IssueOutcome> {
    return { kind: 'pending', detail: this.issuer };
  }
}

class StartableFake extends FakeAdapter implements StartableCaAdapter {
  started = 0;
  async start(): Promise<void> {
    this.started++;
  }
}

const factories = {
  internal: (issuer: string) => new StartableFake('internal', issuer),
  offline: (issuer: string) => new FakeAdapter('offline', issuer),
};

describe(CaAdapterRegistry, () => {
  describe('when built from the configured issuer names', () => {
    it('serves each name with the adapter of its type (for now, the type is the name)', () => {
      const registry = CaAdapterRegistry.fromConfig(['internal', 'offline'], factories);
      expect(registry.get('internal')?.type).toBe('internal');
      expect(registry.get('offline')?.type).toBe('offline');
      expect(registry.issuers()).toEqual(['internal', 'offline']);
    });

    it('serves nothing for an issuer it was not configured with', () => {
      const registry = CaAdapterRegistry.fromConfig(['offline'], factories);
      expect(registry.get('internal')).toBeUndefined();
      expect(registry.get('acme')).toBeUndefined();
    });

    it('does not take inherited object keys for adapter types', () => {
      expect(() => CaAdapterRegistry.fromConfig(['constructor'], factories)).toThrow(UnknownIssuerTypeError);
    });

    it('fails at once on an issuer whose type has no adapter, naming the known types', () => {
      expect(() => CaAdapterRegistry.fromConfig(['internal', 'acme'], factories)).toThrow(
        'issuer "acme" has unknown type "acme"; known types: internal, offline',
      );
    });

    it('reads the type through the given seam when names and types differ', () => {
      const registry = CaAdapterRegistry.fromConfig(['corp-ca'], factories, () => 'offline');
      expect(registry.get('corp-ca')?.type).toBe('offline');
    });
  });

  describe('when the module starts', () => {
    it('starts every adapter that needs starting, once', async () => {
      const registry = CaAdapterRegistry.fromConfig(['internal', 'offline'], factories);
      await registry.onModuleInit();
      expect((registry.get('internal') as StartableFake).started).toBe(1);
    });

    it('fails the start when an adapter cannot start', async () => {
      const failing = { internal: () => ({ type: 'internal', issue: jest.fn(), start: async () => Promise.reject(new Error('wrong key')) }) };
      const registry = CaAdapterRegistry.fromConfig(['internal'], failing);
      await expect(registry.onModuleInit()).rejects.toThrow('wrong key');
    });
  });
});
