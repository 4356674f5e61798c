import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, loadConfig } from './config';

/**
 * The kinds of CA certflow talks to. An issuer (the `issuer` a request names) is served by the
 * ca-gateway adapter of its type.
 * - `internal`: certflow's own two-tier CA; issues at once.
 * - `offline`: a CA out of network reach; an operator uploads the certificate it returns.
 * - `acme`: an RFC 8555 CA (Let's Encrypt, an enterprise ACME CA, Pebble in tests).
 */
export const ISSUER_TYPES = ['internal', 'offline', 'acme'] as const;
export type IssuerType = (typeof ISSUER_TYPES)[number];

/** How certflow proves control of a name to an ACME CA. */
export type AcmeChallengeType = 'http-01' | 'dns-01';

/** Where DNS-01 TXT records are published. `challtestsrv`: Pebble's test DNS server (tests, labs). */
export type DnsProviderConfig = { type: 'challtestsrv'; managementUrl: string };

export interface InternalIssuerConfig {
  name: string;
  type: 'internal';
}
export interface OfflineIssuerConfig {
  name: string;
  type: 'offline';
}
/** An ACME CA. Secrets (`eab.hmacKey`, `accountKeyPem`) never leave ca-gateway (see publicView). */
export interface AcmeIssuerConfig {
  name: string;
  type: 'acme';
  /** The CA's directory, e.g. https://acme-staging-v02.api.letsencrypt.org/directory. */
  directoryUrl: string;
  /** Account contacts as `mailto:` URLs. */
  contact: string[];
  /** Whether the operator agrees to the CA's terms of service (required by most public CAs). */
  termsOfServiceAgreed: boolean;
  /** A given account key (PEM); when absent ca-gateway creates one and keeps it encrypted. */
  accountKeyPem?: string;
  /** External account binding, when the CA asks for it. */
  eab?: { kid: string; hmacKey: string };
  challenge: AcmeChallengeType;
  /** For dns-01: where the TXT records go. */
  dnsProvider?: DnsProviderConfig;
  /** Extra CA certificates (PEM) trusted for the TLS connection to this CA; the system roots stay trusted. */
  caTrustPem?: string;
}
export type IssuerConfig = InternalIssuerConfig | OfflineIssuerConfig | AcmeIssuerConfig;

/** What GET /api/v1/issuers shows: the settings without any secret. */
export type IssuerPublicView =
  | { name: string; type: 'internal' | 'offline' }
  | {
      name: string;
      type: 'acme';
      directoryUrl: string;
      contact: string[];
      challenge: AcmeChallengeType;
      externalAccountBinding: { kid: string } | null;
      accountKey: 'configured' | 'generated';
      caTrust: 'system' | 'system+custom';
    };

const NAME = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and "-", starting with a letter (e.g. "letsencrypt-staging")');
const PEM_CERTS = /-----BEGIN CERTIFICATE-----/;

const Eab = z.strictObject({
  kid: z.string().min(1, 'must name the key id the CA gave you'),
  hmacKey: z.string().min(1).optional(),
  /** Name of an environment variable holding the HMAC key, so the file holds no secret. */
  hmacKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
});

const RawAcme = z.strictObject({
  name: NAME,
  type: z.literal('acme'),
  directoryUrl: z.url({ protocol: /^https?$/, error: 'must be the https:// URL of the CA directory' }),
  contact: z.union([z.string(), z.array(z.string())]).optional(),
  termsOfServiceAgreed: z.boolean().default(true),
  accountKeyFile: z.string().min(1).optional(),
  eab: Eab.optional(),
  challenge: z.enum(['http-01', 'dns-01'], { error: 'must be "http-01" or "dns-01"' }).default('http-01'),
  dnsProvider: z.strictObject({ type: z.literal('challtestsrv'), managementUrl: z.url() }).optional(),
  caTrustPem: z.string().regex(PEM_CERTS, 'must hold PEM certificates').optional(),
  caTrustFile: z.string().min(1).optional(),
});
const RawIssuer = z.discriminatedUnion(
  'type',
  [z.strictObject({ name: NAME, type: z.literal('internal') }), z.strictObject({ name: NAME, type: z.literal('offline') }), RawAcme],
  { error: `"type" must be one of ${ISSUER_TYPES.join(', ')}` },
);
const RawIssuers = z.array(RawIssuer).min(1, 'name at least one issuer');

type Env = Record<string, string | undefined>;

function readText(path: string, what: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    problems.push(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return undefined;
  }
}

function fromCommaList(value: string, problems: string[]): unknown[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  return names.map((name) => {
    if (name === 'acme' || !(ISSUER_TYPES as readonly string[]).includes(name)) {
      problems.push(
        `CERTFLOW_ISSUERS: unknown issuer type "${name}" in the comma list (which takes ${ISSUER_TYPES.filter((t) => t !== 'acme').join(', ')}); ` +
          'an acme issuer needs settings: give a JSON list in CERTFLOW_ISSUERS or a file in CERTFLOW_ISSUERS_FILE',
      );
    }
    return { name, type: name };
  });
}

function resolveAcme(raw: z.infer<typeof RawAcme>, env: Env, where: string, problems: string[], secrets: boolean): AcmeIssuerConfig {
  const at = `${where}: issuer "${raw.name}"`;
  const contact = (raw.contact === undefined ? [] : Array.isArray(raw.contact) ? raw.contact : [raw.contact]).map((c) => (c.includes(':') ? c : `mailto:${c}`));
  let eab: AcmeIssuerConfig['eab'];
  if (raw.eab && !secrets) {
    // A service that only lists issuers (request) needs the kid, never the key.
    eab = { kid: raw.eab.kid, hmacKey: '' };
  } else if (raw.eab) {
    const hmacKey = raw.eab.hmacKey ?? (raw.eab.hmacKeyEnv ? env[raw.eab.hmacKeyEnv] : undefined);
    if (!hmacKey) {
      problems.push(`${at}: eab needs "hmacKey" or "hmacKeyEnv" naming a set environment variable${raw.eab.hmacKeyEnv ? ` (${raw.eab.hmacKeyEnv} is not set)` : ''}`);
    } else eab = { kid: raw.eab.kid, hmacKey };
  }
  if (raw.challenge === 'dns-01' && !raw.dnsProvider) problems.push(`${at}: challenge "dns-01" needs a "dnsProvider"`);
  let caTrustPem = raw.caTrustPem;
  if (raw.caTrustFile) {
    const text = readText(raw.caTrustFile, `${at}: caTrustFile`, problems);
    if (text !== undefined && !PEM_CERTS.test(text)) problems.push(`${at}: caTrustFile ${raw.caTrustFile} holds no PEM certificate`);
    else if (text !== undefined) caTrustPem = [caTrustPem, text].filter(Boolean).join('\n');
  }
  const accountKeyPem = raw.accountKeyFile && secrets ? readText(raw.accountKeyFile, `${at}: accountKeyFile`, problems) : undefined;
  return {
    name: raw.name,
    type: 'acme',
    directoryUrl: raw.directoryUrl,
    contact,
    termsOfServiceAgreed: raw.termsOfServiceAgreed,
    challenge: raw.challenge,
    ...(raw.dnsProvider ? { dnsProvider: raw.dnsProvider } : {}),
    ...(eab ? { eab } : {}),
    ...(caTrustPem ? { caTrustPem } : {}),
    ...(accountKeyPem ? { accountKeyPem } : {}),
  };
}

/**
 * Reads the issuers from `CERTFLOW_ISSUERS_FILE` (a JSON file: a list of issuers, or `{"issuers": [...]}`)
 * or `CERTFLOW_ISSUERS` (a JSON list, or the short comma list `internal,offline` where each name is
 * its type). Default: `internal,offline`. Returns every problem at once, each naming its variable.
 */
export interface IssuerParseOptions {
  /** false for a service that only lists issuers: EAB keys are not resolved, key files not read. */
  secrets?: boolean;
}

export function parseIssuers(env: Env, opts: IssuerParseOptions = {}): { issuers: IssuerConfig[]; problems: string[] } {
  const secrets = opts.secrets ?? true;
  const problems: string[] = [];
  const file = env.CERTFLOW_ISSUERS_FILE?.trim();
  const inline = env.CERTFLOW_ISSUERS?.trim();
  let where = 'CERTFLOW_ISSUERS';
  let raw: unknown;
  if (file) {
    where = 'CERTFLOW_ISSUERS_FILE';
    if (inline) problems.push('CERTFLOW_ISSUERS and CERTFLOW_ISSUERS_FILE are both set; set one');
    const text = readText(file, where, problems);
    if (text === undefined) return { issuers: [], problems };
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { issuers: [], problems: [...problems, `${where}: ${file} is not JSON (${(e as Error).message})`] };
    }
    if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'issuers' in raw) raw = (raw as { issuers: unknown }).issuers;
  } else if (inline?.startsWith('[')) {
    try {
      raw = JSON.parse(inline);
    } catch (e) {
      return { issuers: [], problems: [`${where}: not a JSON list (${(e as Error).message})`] };
    }
  } else {
    raw = fromCommaList(inline || 'internal,offline', problems);
    if (problems.length) return { issuers: [], problems };
  }
  const parsed = RawIssuers.safeParse(raw);
  if (!parsed.success) {
    return { issuers: [], problems: [...problems, ...parsed.error.issues.map((i) => `${where}${i.path.length ? `[${i.path.join('.')}]` : ''}: ${i.message}`)] };
  }
  const issuers = parsed.data.map((i) => (i.type === 'acme' ? resolveAcme(i, env, where, problems, secrets) : { name: i.name, type: i.type }));
  const seen = new Set<string>();
  for (const i of issuers) {
    if (seen.has(i.name)) problems.push(`${where}: issuer "${i.name}" is named twice`);
    seen.add(i.name);
  }
  return { issuers, problems };
}

/** parseIssuers, throwing a ConfigError listing every problem. */
export function loadIssuers(env: Env = process.env): IssuerConfig[] {
  const { issuers, problems } = parseIssuers(env);
  if (problems.length) throw new ConfigError(problems);
  return issuers;
}

/** loadConfig plus the issuers, every problem of both reported at once. */
export function loadConfigWithIssuers<T extends z.ZodObject>(
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
  opts: IssuerParseOptions = {},
): z.infer<T> & { issuers: IssuerConfig[] } {
  const { issuers, problems } = parseIssuers(env, opts);
  let config: z.infer<T> | undefined;
  try {
    config = loadConfig(schema, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.unshift(...e.problems);
  }
  if (problems.length || !config) throw new ConfigError(problems);
  return { ...config, issuers };
}

/** An issuer as GET /api/v1/issuers shows it: no HMAC key, no account key, no trust PEM. */
export function publicView(issuer: IssuerConfig): IssuerPublicView {
  if (issuer.type !== 'acme') return { name: issuer.name, type: issuer.type };
  return {
    name: issuer.name,
    type: 'acme',
    directoryUrl: issuer.directoryUrl,
    contact: issuer.contact,
    challenge: issuer.challenge,
    externalAccountBinding: issuer.eab ? { kid: issuer.eab.kid } : null,
    accountKey: issuer.accountKeyPem ? 'configured' : 'generated',
    caTrust: issuer.caTrustPem ? 'system+custom' : 'system',
  };
}
