// The provisioning step: creates stream CERTFLOW (certflow.>) unless it exists, with the
// provisioner identity (NATS_URL and NATS_NKEY_SEED_FILE, or NATS_CREDS, from the environment).
// Services never create the stream; they wait for it. Exits 0 once the stream is there.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './lib/infra.mjs';

const require = createRequire(import.meta.url);
const { connectNats, ensureStream } = require(join(ROOT, 'libs/messaging/dist/index.js'));
const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
try {
  const nc = await connectNats({ servers: url, name: 'certflow/provisioner', inboxPrefix: '_INBOX_provisioner' });
  try {
    await ensureStream(nc);
  } finally {
    await nc.close();
  }
  process.stdout.write(`stream CERTFLOW is ready on ${url}\n`);
} catch (e) {
  process.stderr.write(`could not provision stream CERTFLOW on ${url}: ${e.message}\nGive the provisioner identity: NATS_NKEY_SEED_FILE=<dir>/provisioner.nk (or NATS_CREDS)\n`);
  process.exit(1);
}
