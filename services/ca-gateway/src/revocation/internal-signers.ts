import type { CaMaterial } from '@certflow/pki';
import { CaAdapterRegistry } from '../issuance/ca-adapter.registry';
import { InternalCaAdapter } from '../issuance/adapters/internal/internal-ca.adapter';

/**
 * The internal issuers this gateway serves, each with the issuing CA that signs its CRLs and OCSP
 * responses. Only ca-gateway holds these keys; the request service serves the routes by RPC.
 */
export class InternalSigners {
  constructor(private readonly registry: CaAdapterRegistry) {}

  /** The signer of `issuer`, or undefined when it is not an internal issuer of this gateway. */
  get(issuer: string): CaMaterial | undefined {
    const adapter = this.registry.get(issuer);
    return adapter instanceof InternalCaAdapter ? adapter.signer() : undefined;
  }

  all(): ReadonlyMap<string, CaMaterial> {
    const out = new Map<string, CaMaterial>();
    for (const issuer of this.registry.issuers()) {
      const signer = this.get(issuer);
      if (signer) out.set(issuer, signer);
    }
    return out;
  }
}
