import * as acme from 'acme-client';
import type { AcmeIssuerConfig } from '@certflow/runtime';
import type { Clock } from '@certflow/pki';
import type { DriveOutcome, DrivableCaAdapter, IssueOutcome, IssueRequest, PendingIssuance } from '../../ca-adapter.port';
import { classifyAcmeError } from './acme-error.classifier';
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
export class AcmeAdapter implements DrivableCaAdapter {
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
    const verdict = classifyAcmeError(result.error, result.trace, this.opts.clock.now(), pending.orderUrl);
    switch (verdict.kind) {
      case 'retry':
        return { kind: 'retry', reason: verdict.reason, ...(verdict.afterMs !== undefined ? { afterMs: verdict.afterMs } : {}) };
      case 'fail':
        await this.cleanUp(pending.requestId);
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
        if (!certificate) return { kind: 'refused', code: 'AcmeRequestRejected', message: `the CA sent no certificate for order ${order.url}` };
        return { kind: 'issued', certificate, chain };
      }
      case 'invalid':
      default: {
        const why = await this.whyInvalid(client, order).catch(() => 'no reason given');
        await this.cleanUp(pending.requestId);
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
      else await this.opts.dns!.present(`_acme-challenge.${authz.identifier.value.replace(/^\*\./, '')}`, keyAuthorization);
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
      await client.createAccount({ termsOfServiceAgreed: config.termsOfServiceAgreed, ...(config.contact.length ? { contact: config.contact } : {}) });
      const url = client.getAccountUrl();
      await accounts.saveAccountUrl(config.name, config.directoryUrl, url);
      this.account = { ...account, accountUrl: url, directoryUrl: config.directoryUrl };
    }
    return client;
  }
}

function progress(order: acme.Order, afterMs: number): DriveOutcome {
  return { kind: 'progress', detail: `ACME order ${order.status} ${order.url}`, orderUrl: order.url, afterMs };
}
