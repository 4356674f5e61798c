import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ApiClient } from '../api-client';
import { writeFileAtomic } from '../atomic-file';
import { CliError, EXIT } from '../exit-codes';
import { CSR_FILE, KEY_FILE, createKey, keyMatchesCertificate, keyTypeOf, loadKey, makeCsr, type CliKeyType } from '../key-store';
import { settleAndInstall } from '../request-flow';
import type { RequestView } from '@certflow/contracts';
import { renewRequest } from './lifecycle-api';

export interface RenewOptions {
  /** The host's key directory: key.pem (rotated, the old one kept as key.pem.prev), csr.pem, and the installed files. */
  dir: string;
  /** A CSR made elsewhere: submitted as it is, no key touched here. */
  csrFile?: string;
  /** The new key's type; default the type of the key being replaced (else ec-p256). */
  keyType?: CliKeyType;
  log?: (line: string) => void;
}

/** The SANs of a certificate's details (`DNS:x`, `IP:y`) without their prefix. */
export function namesOf(subjectAltNames: readonly string[] = []): string[] {
  return subjectAltNames.map((n) => n.replace(/^(DNS|IP|IP Address):/i, '').trim()).filter(Boolean);
}

/**
 * The CSR of an `Always` renewal, for the host and names of the certificate being renewed. A new
 * key pair is made only while key.pem still belongs to that certificate: the old key moves to
 * key.pem.prev (it keeps serving until the renewal is installed). When key.pem no longer matches
 * it, an earlier attempt already rotated the key and it is re-used, so a retry after a failed
 * submission never pushes the old key out of key.pem.prev.
 */
export async function renewalCsr(old: RequestView, o: RenewOptions): Promise<{ csr: string; rotated: boolean }> {
  const log = o.log ?? (() => undefined);
  const keyPath = join(o.dir, KEY_FILE);
  if (!old.certificate) throw new CliError(`request ${old.id} has no certificate to renew`, EXIT.ERROR, 'NOT_RENEWABLE', `see it with: certflow status ${old.id}`);
  const rotate = keyMatchesCertificate(keyPath, old.certificate.pem) || !keyTypeOf(keyPath);
  let keys: CryptoKeyPair;
  if (rotate) {
    const type = o.keyType ?? keyTypeOf(keyPath) ?? 'ec-p256';
    keys = (await createKey(o.dir, type, { replace: true })).keys;
    log(`new key ${keyPath} (${type}, mode 0600); the previous one is kept as ${KEY_FILE}.prev`);
  } else {
    keys = await loadKey(keyPath);
    log(`${keyPath} is already newer than the certificate of ${old.id}: re-used for its renewal`);
  }
  const csr = await makeCsr(keys, old.host, namesOf(old.certificate.subjectAltNames).filter((n) => n !== old.host));
  writeFileAtomic(join(o.dir, CSR_FILE), csr, { mode: 0o644 });
  return { csr, rotated: rotate };
}

/**
 * Starts (or finds) the renewal of request `id`: `Always` with a new key and CSR made here (or the
 * CSR given), `Never` without a CSR (certflow re-submits the stored one). The API answers with the
 * renewal already open when there is one, so calling this again is harmless.
 */
export async function submitRenewal(api: ApiClient, id: string, o: RenewOptions): Promise<{ old: RequestView; view: RequestView; created: boolean }> {
  const old = (await api.request(id)) as RequestView;
  let csr: string | undefined;
  if (o.csrFile) {
    try {
      csr = readFileSync(o.csrFile, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${o.csrFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE, 'CSR_FILE', 'give a PEM CSR file with --csr');
    }
  } else if ((old.rotationPolicy ?? 'Always') === 'Always') {
    if (old.state !== 'ASSIGNED') {
      // Refused before a key is made: the API would answer 409 NOT_RENEWABLE anyway.
      throw new CliError(`request ${id} is ${old.state}; only an ASSIGNED request can be renewed`, EXIT.ERROR, 'NOT_RENEWABLE', old.supersededBy ? `its renewal is ${old.supersededBy}` : `see it with: certflow status ${id}`);
    }
    csr = (await renewalCsr(old, o)).csr;
  }
  const { view, created } = await renewRequest(api, id, csr);
  return { old, view, created };
}

/**
 * `certflow renew ID`: submits the renewal, follows it, and installs it in `dir` like
 * `certflow request` (cert.pem, chain.pem, fullchain.pem; the previous ones kept as *.prev).
 */
export async function runRenew(api: ApiClient, id: string, o: RenewOptions & { timeout?: number; json?: boolean }): Promise<RequestView> {
  const dir = resolve(o.dir);
  const { view, created } = await submitRenewal(api, id, { ...o, dir });
  o.log?.(created ? `renewal ${view.id} of ${id} submitted` : `renewal ${view.id} of ${id} was already open: following it`);
  writeFileSync(join(dir, 'request.json'), JSON.stringify({ id: view.id, host: view.host, url: api.url, renewalOf: id }, null, 2) + '\n');
  return settleAndInstall(api, view, dir, o);
}
