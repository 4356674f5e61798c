import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, fromSeed } from '@nats-io/nkeys';

/** One NATS identity: its name, the file holding its nkey seed (mode 0600), and its public key. */
export interface BusIdentity {
  name: string;
  seedFile: string;
  publicKey: string;
}

/** Where an identity's seed lives in a directory of identities. */
export function seedFileOf(dir: string, name: string): string {
  return join(dir, `${name}.nk`);
}

/**
 * Makes sure each named identity has an nkey seed in `dir` (created once, mode 0600, the directory
 * 0700) and returns them. An existing seed is kept, so the server's configuration and the services
 * agree across restarts; a seed file that others may read is refused, as ssh refuses such a key.
 */
export function ensureBusIdentities(dir: string, names: readonly string[]): BusIdentity[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return names.map((name) => {
    const seedFile = seedFileOf(dir, name);
    if (!existsSync(seedFile)) {
      writeFileSync(seedFile, new TextDecoder().decode(createUser().getSeed()) + '\n', { mode: 0o600, flag: 'wx' });
    }
    return { name, seedFile, publicKey: publicKeyOfSeedFile(seedFile) };
  });
}

/** Reads an nkey seed file, refusing one that group or others may read or write. */
export function readSeedFile(path: string): Uint8Array {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`the NATS nkey seed file ${path} has mode ${mode.toString(8)}: others may read it; run \`chmod 600 ${path}\``);
  }
  const seed = readFileSync(path, 'utf8').trim();
  if (!/^SU[A-Z2-7]{56}$/.test(seed)) throw new Error(`${path} does not hold a NATS user nkey seed (a line starting with SU)`);
  return new TextEncoder().encode(seed);
}

/** The public key (U…) of the seed in `path`: what the server's configuration lists. */
export function publicKeyOfSeedFile(path: string): string {
  return fromSeed(readSeedFile(path)).getPublicKey();
}
