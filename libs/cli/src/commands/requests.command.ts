import { Command, Option } from 'commander';
import { REQUEST_STATES, printable, type CertificateDetails, type RequestView } from '@certflow/contracts';
import { EXIT, exitCodeForState } from '../exit-codes';
import { apiFor, choice, collectUsages, parseDuration, parsePositiveInt, parseSpan, printJson } from '../options';
import { expiresBeforeFor, listCertificates } from './lifecycle.command';
import { missingLines, stateLine, waitUntilSettled, WaitTimeout } from '../request-flow';
import { CliError } from '../exit-codes';
import { Spinner, table } from '../ui';

/** A certificate's details, one field a line; its text (subject, issuer, SANs) with control characters escaped. */
export function formatDetails(d: CertificateDetails): string {
  const key = `${d.publicKey.algorithm}${d.publicKey.size ? ` ${d.publicKey.size}` : ''}${d.publicKey.curve ? ` ${d.publicKey.curve}` : ''}`;
  const rows: [string, string][] = [
    ['Thumbprint (SHA-1)', d.thumbprint],
    ['Thumbprint (SHA-256)', d.thumbprintSha256],
    ['Subject', d.subject],
    ['Issuer', d.issuer],
    ['Serial number', d.serialNumber],
    ['Valid from', d.notBefore],
    ['Valid to', d.notAfter],
    ['Subject alt names', d.subjectAltNames.join(', ') || '-'],
    ['Public key', key],
    ['Signature algorithm', d.signatureAlgorithm],
    ['Key usage', d.keyUsage.join(', ') || '-'],
    ['Extended key usage', d.extendedKeyUsage.join(', ') || '-'],
    ['Basic constraints', d.basicConstraints ? `CA=${d.basicConstraints.ca}${d.basicConstraints.pathLength !== undefined ? `, path length ${d.basicConstraints.pathLength}` : ''}` : '-'],
    ['Subject key id', d.subjectKeyIdentifier ?? '-'],
    ['Authority key id', d.authorityKeyIdentifier ?? '-'],
  ];
  return rows.map(([k, v]) => `${k.padEnd(21)} ${printable(v)}`).join('\n');
}

/** The lifecycle lines of `certflow status`: policy, what it renews, what replaced it, its renewal. */
export function renewalLines(v: RequestView): string[] {
  const lines: string[] = [];
  if (v.rotationPolicy) lines.push(`Rotation  ${v.rotationPolicy}${v.renewBefore ? `, renew ${v.renewBefore} before expiry` : ''}`);
  if (v.renewalOf) lines.push(`Renews    ${v.renewalOf}`);
  if (v.supersededBy) lines.push(`Superseded by ${v.supersededBy}`);
  if (v.renewal) {
    const state = v.renewal.state === 'waiting-for-host' ? 'waiting for the host (certflow renew, or its agent)' : v.renewal.state ?? 'due';
    lines.push(`Renewal   ${state}, due ${v.renewal.dueAt}${v.renewal.requestId ? `, request ${v.renewal.requestId}` : ''}`);
  }
  return lines;
}

/** A request for `certflow status`, one field a line, each line with control characters escaped. */
export function formatRequest(v: RequestView): string {
  const lines = [
    `Request   ${v.id}`,
    `Host      ${v.host}`,
    `State     ${stateLine(v)}`,
    `Issuer    ${v.issuer}`,
    `Usages    ${v.usages.join(', ')}${v.autoAssign ? ' (auto-assign)' : ''}`,
  ];
  if (v.friendlyName) lines.push(`Name      ${v.friendlyName}`);
  if (v.thumbprint) lines.push(`Thumbprint ${v.thumbprint}`);
  if (v.certificate) lines.push(`Subject   ${v.certificate.subject}`, `Issued by ${v.certificate.issuer}`, `Valid     ${v.certificate.notBefore} → ${v.certificate.notAfter}`);
  if (v.validation) {
    lines.push(`Chain     ${v.validation.status}${v.validation.path ? `: ${v.validation.path.join(' → ')}` : ''}`);
    if (v.validation.status !== 'complete') for (const m of missingLines(v)) lines.push(`  → ${m}`);
  }
  if (v.assignment) {
    lines.push(`Assigned  ${v.assignment.usages.join(', ') || '-'} at ${v.assignment.assignedAt}`);
    for (const n of v.assignment.notBound ?? []) lines.push(`  not bound to ${n.usage}: ${n.reason} (${n.code})`);
  }
  if (v.failure) lines.push(`Failure   ${v.failure.message} (${v.failure.code}, ${v.failure.stage})`);
  lines.push(...renewalLines(v as RequestView));
  lines.push('History');
  for (const h of v.history) lines.push(`  ${h.at}  ${h.state}${h.reason ? `  ${h.reason}` : ''}`);
  return lines.map(printable).join('\n');
}

export function registerRequests(program: Command): void {
  program
    .command('status')
    .description('show a request: state, certificate, chain, what is missing, history')
    .argument('<id>', 'request id')
    .option('--json', 'print the RequestView as JSON')
    .option('--wait', 'wait until the request settles (ASSIGNED, FAILED, CHAIN_INCOMPLETE, or ASSIGNABLE waiting for Assign)')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 5)', parseDuration)
    .addHelpText('after', '\nExit: 0, or 3 when the request is CHAIN_INCOMPLETE and 4 when it FAILED (so scripts can branch).')
    .action(async (id: string, o: { json?: boolean; wait?: boolean; timeout?: number }, cmd: Command) => {
      const api = apiFor(cmd);
      let v: RequestView;
      if (o.wait) {
        const spinner = new Spinner().start(`${id}`);
        try {
          v = await waitUntilSettled(api, id, { timeoutMs: o.timeout, onChange: (x) => spinner.update(`${x.id} ${x.state}`) });
        } catch (e) {
          spinner.stop();
          if (e instanceof WaitTimeout) throw new CliError(`request ${id} is still ${e.last.state}`, EXIT.TIMEOUT, 'TIMEOUT', `try again later: certflow status ${id}`);
          throw e;
        }
        spinner.stop();
      } else v = await api.request(id);
      if (o.json) printJson(v);
      else process.stdout.write(formatRequest(v) + '\n');
      process.exitCode = exitCodeForState(v.state);
    });

  program
    .command('show')
    .description('View Certificate Details for a thumbprint (SHA-1 or SHA-256, any case)')
    .argument('<thumbprint>')
    .option('--json', 'print CertificateDetails as JSON')
    .option('--pem', 'print only the certificate PEM')
    .action(async (thumbprint: string, o: { json?: boolean; pem?: boolean }, cmd: Command) => {
      const d = await apiFor(cmd).certificate(thumbprint.replace(/[\s:]/g, ''));
      if (o.json) printJson(d);
      else if (o.pem) process.stdout.write(d.pem.endsWith('\n') ? d.pem : d.pem + '\n');
      else process.stdout.write(formatDetails(d) + '\n');
    });

  program
    .command('assign')
    .description('assign an ASSIGNABLE request to its usages (the wizard\'s Assign) and wait until ASSIGNED')
    .argument('<id>', 'request id')
    .option('--usages <usage>', 'only these usages (repeatable/comma list; default: those requested)', collectUsages)
    .option('--no-wait', 'return once the server accepted the Assign')
    .option('--timeout <duration>', 'give up waiting after this long (exit 5)', parseDuration, 60_000)
    .option('--json', 'print the RequestView as JSON')
    .addHelpText('after', '\nA request that is not ASSIGNABLE is refused (NOT_ASSIGNABLE, exit 1) with what it waits for.')
    .action(async (id: string, o: { usages?: string[]; wait: boolean; timeout: number; json?: boolean }, cmd: Command) => {
      const api = apiFor(cmd);
      let v = await api.assign(id, o.usages);
      if (o.wait) {
        try {
          v = await waitUntilSettled(api, id, { timeoutMs: o.timeout, until: (x) => x.state === 'ASSIGNED' || x.state === 'FAILED' });
        } catch (e) {
          if (e instanceof WaitTimeout) throw new CliError(`request ${id} is still ${e.last.state}`, EXIT.TIMEOUT, 'TIMEOUT', `certflow status ${id}`);
          throw e;
        }
      }
      if (o.json) printJson(v);
      else process.stdout.write(`${v.id} ${printable(stateLine(v))}\n`);
      process.exitCode = exitCodeForState(v.state);
    });

  program
    .command('list')
    .description('list requests, newest first')
    .addOption(new Option('--state <state>', 'only requests in this state').argParser(choice(REQUEST_STATES)))
    .option('--host <fqdn>', 'only requests for this host')
    .option('--limit <n>', 'at most this many (default 50)', parsePositiveInt, 50)
    .option('--all', 'every matching request (follows pages)')
    .option('--expiring <span>', 'instead: the certificates (not superseded) whose notAfter is within this span (30d, 12h, 2w), from the inventory', parseSpan)
    .option('--json', 'print {items} as JSON')
    .action(async (o: { state?: string; host?: string; limit: number; all?: boolean; json?: boolean; expiring?: number }, cmd: Command) => {
      if (o.expiring !== undefined) {
        return listCertificates(cmd, { host: o.host, expiresBefore: expiresBeforeFor(o.expiring, Date.now()) }, { json: o.json, withoutSuperseded: true });
      }
      const items = await apiFor(cmd).listAll({ state: o.state, host: o.host }, o.all ? Infinity : o.limit);
      if (o.json) return printJson({ items });
      if (!items.length) return void process.stdout.write('no requests\n');
      process.stdout.write(
        table(
          ['ID', 'HOST', 'STATE', 'ISSUER', 'THUMBPRINT', 'UPDATED'],
          items.map((v) => [v.id, v.host, v.state, v.issuer, v.thumbprint ?? '-', v.updatedAt]),
        ) + '\n',
      );
    });
}
