import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';

/** A path to a file this process can read; said plainly when it cannot. */
const readableFile = z
  .string()
  .trim()
  .min(1)
  .refine((p) => {
    try {
      accessSync(p, constants.R_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  }, 'must be the path of a file this process can read')
  .optional();

function sharedWithOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false; // unreadable: said by the check before
  }
}

/**
 * How a service authenticates to NATS and protects the wire (libs/messaging `natsAuthFromEnv`
 * reads the same variables). Unset, the connection is anonymous, which certflow's own NATS refuses.
 */
export const NatsAuthConfigShape = {
  NATS_NKEY_SEED_FILE: readableFile.refine((p) => p === undefined || !sharedWithOthers(p), 'others may read this seed file: run `chmod 600` on it'),
  NATS_CREDS: readableFile,
  NATS_USER: z.string().trim().min(1).optional(),
  NATS_PASSWORD: z.string().optional(),
  NATS_TOKEN: z.string().trim().min(1).optional(),
  NATS_TLS_CA: readableFile,
  NATS_TLS_CERT: readableFile,
  NATS_TLS_KEY: readableFile,
  NATS_INBOX_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be one subject token of letters, digits, _ or - (e.g. _INBOX_request)')
    .optional(),
};

type NatsAuthConfig = { [K in keyof typeof NatsAuthConfigShape]?: string };

/** What no single variable can say: one way to authenticate, a certificate with its key. */
export function natsAuthProblems(c: NatsAuthConfig): string[] {
  const problems: string[] = [];
  const ways = (['NATS_NKEY_SEED_FILE', 'NATS_CREDS', 'NATS_USER', 'NATS_TOKEN'] as const).filter((k) => c[k]);
  if (ways.length > 1) problems.push(`${ways.join(', ')}: set only one way to authenticate to NATS`);
  if (c.NATS_PASSWORD !== undefined && !c.NATS_USER) problems.push('NATS_PASSWORD: set NATS_USER too, or remove NATS_PASSWORD');
  if (Boolean(c.NATS_TLS_CERT) !== Boolean(c.NATS_TLS_KEY)) problems.push('NATS_TLS_CERT, NATS_TLS_KEY: a client certificate needs its key; set both or neither');
  return problems;
}
