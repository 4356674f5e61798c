import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { CertificateDetails } from '@certflow/contracts';
import { CliError, EXIT } from '../exit-codes';
import { apiFor, printJson } from '../options';
import { table } from '../ui';

function readPem(file: string): string {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE, 'FILE_UNREADABLE', 'give the path of a PEM file (or - for stdin)');
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CliError(`${file} holds no PEM certificate`, EXIT.USAGE, 'NOT_PEM', 'convert DER with: openssl x509 -inform der -in FILE -out FILE.pem');
  }
  return text;
}

export function registerTrust(program: Command): void {
  const trust = program.command('trust').description('the trusted root and intermediate stores');

  for (const [name, store, what] of [
    ['import-root', 'roots', 'self-signed CA certificate(s)'],
    ['import-intermediate', 'intermediates', 'CA certificate(s) that are not self-signed'],
  ] as const) {
    trust
      .command(name)
      .description(`import ${what} from a PEM file; requests waiting in CHAIN_INCOMPLETE are re-validated`)
      .argument('<file>', 'PEM file (one or more certificates), or - for stdin')
      .option('--json', 'print {imported, alreadyPresent} as JSON')
      .action(async (file: string, o: { json?: boolean }, cmd: Command) => {
        const r = await apiFor(cmd).trustImport(store, readPem(file));
        if (o.json) return printJson(r);
        for (const t of r.imported) process.stdout.write(`imported ${t} into ${store}\n`);
        for (const t of r.alreadyPresent) process.stdout.write(`already present ${t} in ${store}\n`);
      });
  }

  trust
    .command('list')
    .description('list the trusted roots and intermediates')
    .addOption(new Option('--store <store>', 'only one store').choices(['roots', 'intermediates']))
    .option('--json', 'print {roots, intermediates} as JSON')
    .action(async (o: { store?: 'roots' | 'intermediates'; json?: boolean }, cmd: Command) => {
      const api = apiFor(cmd);
      const stores = o.store ? [o.store] : (['roots', 'intermediates'] as const);
      const result: Record<string, CertificateDetails[]> = {};
      for (const s of stores) result[s] = await api.trustList(s);
      if (o.json) return printJson(result);
      const rows = Object.entries(result).flatMap(([s, items]) => items.map((d) => [s === 'roots' ? 'root' : 'intermediate', d.thumbprint, d.subject, d.notAfter]));
      process.stdout.write(rows.length ? table(['STORE', 'THUMBPRINT', 'SUBJECT', 'NOT AFTER'], rows) + '\n' : 'the trust stores are empty\n');
    });
}
