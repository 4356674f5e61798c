import * as acme from 'acme-client';
import type { AcmeIssuerConfig } from '@certflow/runtime';
import type { Clock } from '@certflow/pki';
import type { DriveOutcome, DrivableCaAdapter, IssueOutcome, IssueRequest, PendingIssuance, RevocableCaAdapter, RevokeOutcome } from '../../ca-adapter.port';
import { classifyAcmeError, type AcmeErrorVerdict } from './acme-error.classifier';
import { traced, trustCaFor } from './acme-http.transport';
import type { PgAcmeAccountStore, StoredAcmeAccount } from './acme-account.store';
import type { PgHttpChallengeStore } from './http-challenge.store';
import type { DnsChallengeProvider } from './dns-challenge.provider';

export interface AcmeAdapterOptions {
  config: AcmeIssuerConfig;
  accounts: PgAcmeAccountStore;
  httpChallenges: PgHttpChallengeStore;
  dns?: DnsChallengeProvider;
  clock: Clock;
}

/** How soon to look again at an order the CA is working on. */
const PROGRESS_MS = { pending: 1000, ready: 0, processing: 1000, created: 0 };

/**
 * An RFC 8555 CA, through acme-client. `issue` answers `pending` at once, without calling the CA, so
 * the consumer never waits on it; the order poller then calls `drive` until the order ends: account,
 * new order for the CSR's names (its URL stored before anything else happens), authorizations and
 * challenges, finalize with the host's CSR, download of the chain the CA offers. One order per
 * request: a new one only when the CA answers 404 for the old one (a CA that lost its state).
 */
export class AcmeAdapter implements DrivableCaAdapter, RevocableCaAdapter {
  readonly type = 'acme';
  private account: StoredAcmeAccount | null = null;

  constructor(private readonly opts: AcmeAdapterOptions) {
    trustCaFor(opts.config.directoryUrl, opts.config.caTrustPem);
  }

  async issue(_req: IssueRequest): Promise<IssueOutcome> {
    return { kind: 'pending', detail: `ACME order not created yet (${this.opts.config.directoryUrl})` };
  }

  async drive(pending: PendingIssuance): Promise<DriveOutcome> {
    const result = await traced(() => this.step(pending));
    if (result.ok) return result.value;
    let verdict = classifyAcmeError(result.error, result.trace, this.opts.clock.now(), pending.orderUrl);
    if (verdict.kind === 'fail' && result.error instanceof AccountRegistrationError) verdict = this.accountRefused(verdict.message);
    switch (verdict.kind) {
      case 'retry':
        return { kind: 'retry', reason: verdict.reason, ...(verdict.afterMs !== undefined ? { afterMs: verdict.afterMs } : {}) };
      case 'fail':
        await this.cleanUp(pending.requestId);
        if (pending.orderUrl) await this.removeDnsRecords(pending.orderUrl);
        return { kind: 'refused', code: verdict.code, message: verdict.message };
      case 'orderGone':
        return { kind: 'progress', detail: `ACME order gone at the CA (${verdict.reason}); creating a new order`, orderUrl: null, afterMs: 0 };
      case 'accountGone':
        this.account = null;
        await this.opts.accounts.saveAccountUrl(this.opts.config.name, this.opts.config.directoryUrl, null);
        return { kind: 'retry', reason: `the CA no longer knows the account (${verdict.reason}); registering the key again`, afterMs: 0 };
      default: {
        const unexpected: never = verdict;
        throw new Error(`unexpected verdict ${JSON.stringify(unexpected)}`);
      }
    }
  }

  /**
   * revokeCert with the account key (the account that ordered it). `alreadyRevoked` counts as done:
   * a redelivered revocation must not fail. A transient failure throws (the event is redelivered);
   * a final one is the CA's refusal, with its message.
   */
  async revoke(certificatePem: string, reasonCode: number): Promise<RevokeOutcome> {
    const result = await traced(async () => {
      const client = await this.client();
      await client.revokeCertificate(certificatePem, { reason: reasonCode });
    });
    if (result.ok) return { kind: 'revoked' };
    if (result.trace.lastProblem?.type?.endsWith(':alreadyRevoked')) return { kind: 'revoked' };
    const verdict = classifyAcmeError(result.error, result.trace, this.opts.clock.now());
    if (verdict.kind === 'fail') return { kind: 'refused', message: verdict.message };
    if (verdict.kind === 'accountGone') {
      this.account = null;
      await this.opts.accounts.saveAccountUrl(this.opts.config.name, this.opts.config.directoryUrl, null);
    }
    throw new Error(`ACME revokeCert at ${this.opts.config.directoryUrl} failed: ${'reason' in verdict ? verdict.reason : 'order gone'}`);
  }

  private async step(pending: PendingIssuance): Promise<DriveOutcome> {
    const client = await this.client();
    if (!pending.orderUrl) {
      const domains = acme.crypto.readCsrDomains(pending.csrPem);
      const names = [...new Set([domains.commonName, ...domains.altNames].filter((n): n is string => !!n))];
      const order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
      return progress(order, PROGRESS_MS.created);
    }
    let order = await client.getOrder({ url: pending.orderUrl } as acme.Order);
    switch (order.status) {
      case 'pending': {
        const refused = await this.answerChallenges(client, order, pending.requestId);
        return refused ?? progress(order, PROGRESS_MS.pending);
      }
      case 'ready':
        order = await client.finalizeOrder(order, pending.csrPem);
        return progress(order, PROGRESS_MS.ready);
      case 'processing':
        return progress(order, PROGRESS_MS.processing);
      case 'valid': {
        const [certificate, ...chain] = acme.crypto.splitPemChain(await client.getCertificate(order));
        await this.cleanUp(pending.requestId);
        await this.removeDnsRecords(order.url, client, order);
        if (!certificate) return { kind: 'refused', code: 'AcmeRequestRejected', message: `the CA sent no certificate for order ${order.url}` };
        return { kind: 'issued', certificate, chain };
      }
      case 'invalid':
      default: {
        const why = await this.whyInvalid(client, order).catch(() => 'no reason given');
        await this.cleanUp(pending.requestId);
        await this.removeDnsRecords(order.url, client, order);
        return { kind: 'refused', code: 'AcmeOrderInvalid', message: `the ACME CA declared order ${order.url} ${order.status}: ${why}` };
      }
    }
  }

  /** Publishes and triggers the configured challenge of every pending authorization. */
  private async answerChallenges(client: acme.Client, order: acme.Order, requestId: string): Promise<DriveOutcome | null> {
    const { challenge: type } = this.opts.config;
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status !== 'pending') continue;
      const challenge = authz.challenges.find((c) => c.type === type);
      if (!challenge) {
        return {
          kind: 'refused',
          code: 'AcmeChallengeUnavailable',
          message: `the CA offers no ${type} challenge for ${authz.identifier.value} (offered: ${authz.challenges.map((c) => c.type).join(', ')})`,
        };
      }
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      if (type === 'http-01') await this.opts.httpChallenges.put(challenge.token, keyAuthorization, requestId);
      else await this.opts.dns!.present(dnsRecordName(authz.identifier.value), keyAuthorization);
      // Only a challenge still `pending` is triggered; a `processing` one is being validated already.
      if (challenge.status === 'pending') await client.completeChallenge(challenge);
    }
    return null;
  }

  private async whyInvalid(client: acme.Client, order: acme.Order): Promise<string> {
    const reasons = (await client.getAuthorizations(order))
      .filter((a) => a.status === 'invalid')
      .map((a) => {
        const failed = a.challenges.find((c) => c.status === 'invalid') as { error?: { detail?: string; type?: string } } | undefined;
        return `${a.identifier.value}: ${failed?.error?.detail ?? failed?.error?.type ?? 'authorization invalid'}`;
      });
    return reasons.join('; ') || 'no reason given';
  }

  private async cleanUp(requestId: string): Promise<void> {
    await this.opts.httpChallenges.removeFor(requestId).catch(() => undefined);
  }

  /**
   * Takes the order's DNS-01 TXT records out of DNS once the order has ended (valid, invalid or
   * refused), each with the value it was published with. Best effort: a record left behind is stale
   * but harmless, and must never turn an issued certificate into a failure.
   */
  private async removeDnsRecords(orderUrl: string, client?: acme.Client, order?: acme.Order): Promise<void> {
    const { dns, config } = this.opts;
    if (config.challenge !== 'dns-01' || !dns) return;
    try {
      const c = client ?? (await this.client());
      const o = order ?? (await c.getOrder({ url: orderUrl } as acme.Order));
      for (const authz of await c.getAuthorizations(o)) {
        const challenge = authz.challenges.find((ch) => ch.type === 'dns-01');
        if (challenge) await dns.cleanUp(dnsRecordName(authz.identifier.value), await c.getChallengeKeyAuthorization(challenge));
      }
    } catch {
      // best effort (see above)
    }
  }

  /**
   * Any final refusal of newAccount is the account's (AcmeAccountRejected), whatever the problem type:
   * a wrong EAB HMAC key or an unknown key id comes back as `unauthorized`, a missing one as
   * `externalAccountRequired`; the message names the issuer and the EAB key id to check.
   */
  private accountRefused(said: string): Extract<AcmeErrorVerdict, { kind: 'fail' }> {
    const { name, eab } = this.opts.config;
    const binding = eab ? `external account binding kid "${eab.kid}"` : 'no external account binding';
    return { kind: 'fail', code: 'AcmeAccountRejected', message: `the ACME CA refused the account of issuer "${name}" (${binding}): ${said.replace(/^the ACME CA refused: /, '')}` };
  }

  /** The account client: the stored key (created at first use), registered with the CA if not yet. */
  private async client(): Promise<acme.Client> {
    const { config, accounts } = this.opts;
    if (!this.account) {
      this.account =
        (await accounts.load(config.name)) ??
        (await accounts.saveKey(config.name, config.directoryUrl, config.accountKeyPem ?? (await acme.crypto.createPrivateEcdsaKey('P-256')).toString()));
    }
    const account = this.account;
    const accountUrl = account.directoryUrl === config.directoryUrl ? account.accountUrl : null;
    const client = new acme.Client({
      directoryUrl: config.directoryUrl,
      accountKey: config.accountKeyPem ?? account.keyPem,
      ...(accountUrl ? { accountUrl } : {}),
      ...(config.eab ? { externalAccountBinding: { kid: config.eab.kid, hmacKey: config.eab.hmacKey } } : {}),
    });
    if (!accountUrl) {
      try {
        await client.createAccount({ termsOfServiceAgreed: config.termsOfServiceAgreed, ...(config.contact.length ? { contact: config.contact } : {}) });
      } catch (error) {
        throw new AccountRegistrationError(error);
      }
      const url = client.getAccountUrl();
      await accounts.saveAccountUrl(config.name, config.directoryUrl, url);
      this.account = { ...account, accountUrl: url, directoryUrl: config.directoryUrl };
    }
    return client;
  }
}

/** newAccount failed: keeps acme-client's error (and message) for the classifier, marks where it came from. */
class AccountRegistrationError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'AccountRegistrationError';
  }
}

/** The DNS-01 record of a name: `_acme-challenge.<name>`, a wildcard's without its `*.` (RFC 8555 §8.4). */
function dnsRecordName(identifier: string): string {
  return `_acme-challenge.${identifier.replace(/^\*\./, '')}`;
}

function progress(order: acme.Order, afterMs: number): DriveOutcome {
  return { kind: 'progress', detail: `ACME order ${order.status} ${order.url}`, orderUrl: order.url, afterMs };
}
