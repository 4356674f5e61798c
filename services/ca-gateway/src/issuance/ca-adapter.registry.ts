import type { OnModuleInit } from '@nestjs/common';
import { type CaAdapter, isStartable } from './ca-adapter.port';

/** Builds the adapter serving one issuer name. */
export type CaAdapterFactory = (issuer: string) => CaAdapter;

/** Thrown at start when an issuer's type has no adapter. */
export class UnknownIssuerTypeError extends Error {
  constructor(readonly issuer: string, readonly type: string, known: string[]) {
    super(`issuer "${issuer}" has unknown type "${type}"; known types: ${known.join(', ')}`);
    this.name = 'UnknownIssuerTypeError';
  }
}

/**
 * Issuer name → the adapter that serves it, built once from configuration. Starts the adapters
 * that need it (the internal CA loads or creates its keys) before any event is consumed.
 */
export class CaAdapterRegistry implements OnModuleInit {
  private constructor(private readonly adapters: ReadonlyMap<string, CaAdapter>) {}

  /**
   * One adapter per issuer name. For now an issuer's type is its name (`internal`, `offline`); a
   * later version reads the type from configuration, hence the `typeOf` seam.
   * @throws UnknownIssuerTypeError for a type without a factory.
   */
  static fromConfig(
    issuers: readonly string[],
    factories: Readonly<Record<string, CaAdapterFactory>>,
    typeOf: (issuer: string) => string = (issuer) => issuer,
  ): CaAdapterRegistry {
    const adapters = new Map<string, CaAdapter>();
    for (const issuer of issuers) {
      const type = typeOf(issuer);
      const factory = Object.prototype.hasOwnProperty.call(factories, type) ? factories[type] : undefined;
      if (!factory) throw new UnknownIssuerTypeError(issuer, type, Object.keys(factories));
      adapters.set(issuer, factory(issuer));
    }
    return new CaAdapterRegistry(adapters);
  }

  /** The adapter for `issuer`, or undefined when this gateway does not serve it. */
  get(issuer: string): CaAdapter | undefined {
    return this.adapters.get(issuer);
  }

  /** The issuer names served, in configuration order. */
  issuers(): string[] {
    return [...this.adapters.keys()];
  }

  async onModuleInit(): Promise<void> {
    for (const adapter of this.adapters.values()) {
      if (isStartable(adapter)) await adapter.start();
    }
  }
}
