import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { REVOCATION_REASONS } from '@certflow/contracts';
import { CliError, EXIT } from '../exit-codes';
import { apiFor, parsePositiveInt, printJson } from '../options';
import { bulkRevoke, type RevokeSelection } from '../revoke/bulk-revoke';
import { describeRevocation, parseCaThumbprint, parseReason, parseThumbprint, revokeCertificate, type RevokeBody } from '../revoke/revoke-api';

const REASONS_HELP = `Reasons (RFC 5280): ${REVOCATION_REASONS.join(', ')}. certificateHold is refused: certflow does not un-revoke.`;

export function registerRevoke(program: Command): void {
  program
    .command('revoke')
    .description('revoke a certificate: at its CA (CRL/OCSP, ACME) and in certflow; its bindings are released')
    .argument('<thumbprint>', 'SHA-1 or SHA-256 thumbprint of the certificate (colons allowed)', parseThumbprint)
    .requiredOption('--reason <reason>', 'RFC 5280 reason name, e.g. keyCompromise, superseded, cessationOfOperation', parseReason)
    .option('--renew', 'start a renewal first and revoke once it is assigned (no outage); keyCompromise still revokes at once')
    .option('--csr <file>', 'with --renew for rotationPolicy "Always": the renewal\'s CSR (PEM)')
    .option('--json', 'print the answer as JSON')
    .addHelpText('after', `
POST /api/v1/certificates/THUMBPRINT/revoke (roles admin, trust-admin). Revoking a certificate
revoked before answers with the first revocation (its reason and time), so running it twice is safe.
For an offline issuer certflow records the revocation; the message says to revoke it at the CA by hand.
${REASONS_HELP}
Exit: 0 taken (requested, revoked, or after the renewal); 1 refused (unknown certificate, …); 6 no right.
Example: certflow revoke 3F:0C:…:9A --reason keyCompromise`)
    .action(async (thumbprint: string, o: { reason: RevokeBody['reason']; renew?: boolean; csr?: string; json?: boolean }, cmd: Command) => {
      if (o.csr && !o.renew) throw new CliError('--csr goes with --renew', EXIT.USAGE, 'USAGE', 'add --renew, or leave --csr out');
      let csr: string | undefined;
      if (o.csr) {
        try {
          csr = readFileSync(o.csr, 'utf8');
        } catch (e) {
          throw new CliError(`cannot read ${o.csr}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE, 'CSR_UNREADABLE');
        }
      }
      const r = await revokeCertificate(apiFor(cmd), thumbprint, { reason: o.reason, ...(o.renew ? { renew: true } : {}), ...(csr ? { csr } : {}) });
      if (o.json) return printJson(r);
      const lines = [describeRevocation(r)];
      if (r.reason !== o.reason) lines.push(`it was revoked before with reason ${r.reason}: the first revocation stands`);
      if (r.renewalRequestId && r.state !== 'after-renewal') lines.push(`renewal: ${r.renewalRequestId} (certflow status ${r.renewalRequestId})`);
      if (r.message) lines.push(r.message);
      process.stdout.write(lines.join('\n') + '\n');
    });
}

interface BulkRevokeCliOptions {
  issuer?: string;
  hostGlob?: string;
  issuedBy?: string;
  reason: RevokeBody['reason'];
  dryRun?: boolean;
  concurrency: number;
  state?: string;
  report?: string;
}

/** `certflow bulk revoke`, registered under `bulk` (bulk.command.ts). */
export function registerBulkRevoke(bulk: Command): void {
  bulk
    .command('revoke')
    .description('revoke every certificate of an issuer, of hosts matching a glob, or issued by a CA certificate (resumable)')
    .option('--issuer <name>', 'certificates of this issuer (e.g. internal)')
    .option('--host-glob <glob>', 'certificates of hosts matching, e.g. "web*.corp.example.com" (* any run, ? one character)')
    .option('--issued-by <thumbprint>', 'certificates issued by this CA certificate (its SHA-1 thumbprint)', parseCaThumbprint)
    .addOption(new Option('--reason <reason>', 'RFC 5280 reason name').argParser(parseReason).default('unspecified'))
    .option('--dry-run', 'list what would be revoked, change nothing')
    .option('--concurrency <n>', 'revocations in flight at once', parsePositiveInt, 8)
    .option('--state <file>', 'resumable state (default: certflow-revoke-<selection>.state.json here)')
    .option('--report <file>', 'write a JSON report: counts per state and one item per certificate')
    .addHelpText('after', `
Selects from the certificate inventory (every page), skips certificates already revoked, and sends
POST /api/v1/certificates/T/revoke for each of the others, with a progress bar on stderr.
Resumable: the state file records each answer, so Ctrl-C (exit 130) — or a killed run — and the
same command again goes on with what is left; a certificate whose answer was lost is asked again,
which is safe (the server answers a second revocation with the first).
${REASONS_HELP}
Exit: 0 all taken; 1 some refused (listed); 130 interrupted.
Example: certflow bulk revoke --issued-by 5B:…:E1 --reason cACompromise --dry-run`)
    .action(async (o: BulkRevokeCliOptions, cmd: Command) => {
      const given = [o.issuer !== undefined, o.hostGlob !== undefined, o.issuedBy !== undefined].filter(Boolean).length;
      if (given !== 1) throw new CliError('give exactly one of --issuer, --host-glob, --issued-by', EXIT.USAGE, 'USAGE', 'e.g. certflow bulk revoke --issuer internal --dry-run');
      const selection: RevokeSelection = o.issuer !== undefined ? { issuer: o.issuer } : o.hostGlob !== undefined ? { hostGlob: o.hostGlob } : { issuedBy: o.issuedBy! };
      await bulkRevoke(apiFor(cmd), { selection, reason: o.reason, dryRun: o.dryRun, concurrency: o.concurrency, stateFile: o.state, report: o.report });
    });
}
