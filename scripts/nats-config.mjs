// A deployment's NATS init step: writes one nkey identity per service, the provisioner and the
// subscriber (mode 0600, kept when present) and the nats-server configuration that admits only
// them, each with the permissions libs/contracts grants it. The seeds go to each service as
// NATS_NKEY_SEED_FILE; the configuration to nats-server as `-c`.
//   node scripts/nats-config.mjs --dir /auth --host 0.0.0.0 --port 4222 --store /data [--monitor 8222]
import { writeNatsConfig } from './lib/own-nats.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.dir || !args.store) {
  process.stderr.write('usage: node scripts/nats-config.mjs --dir <identities dir> --store <JetStream store dir> [--host 0.0.0.0] [--port 4222] [--monitor 8222]\n');
  process.exit(2);
}
const { identities, configFile } = writeNatsConfig({ dir: args.dir, host: args.host ?? '0.0.0.0', port: Number(args.port ?? 4222), storeDir: args.store, monitorPort: args.monitor ? Number(args.monitor) : undefined });
process.stdout.write(`wrote ${configFile} for ${identities.map((i) => i.name).join(', ')}\n`);
