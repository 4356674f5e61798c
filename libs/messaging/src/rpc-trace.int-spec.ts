/** RPC over real NATS: the caller's correlation id reaches the answering service; a question too large for NATS is refused before it is sent. */
import { randomBytes } from 'node:crypto';
import { currentTrace, runWithTrace, type TraceFields } from '@certflow/contracts';
import { connectNats } from './nats.connection';
import type { NatsConnection, Subscription } from './nats.types';
import { callRpc, RpcError, serveRpc } from './rpc';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const subject = `rpc.certflow.test-${randomBytes(4).toString('hex')}.trace`;

let nc: NatsConnection;
let sub: Subscription;
beforeAll(async () => {
  nc = await connectNats({ servers: NATS_URL, name: 'test/rpc-trace' });
  sub = serveRpc<{ requestId?: string }, TraceFields | undefined>(nc, subject, async () => {
    await new Promise((r) => setTimeout(r, 1));
    return currentTrace() && { ...currentTrace() };
  });
});
afterAll(async () => {
  sub?.unsubscribe();
  await nc?.drain();
});

it('answers inside the caller’s correlation id, with the request id the body names', async () => {
  const seen = await runWithTrace({ correlationId: 'call-7' }, () => callRpc<TraceFields>(nc, subject, { requestId: 'r-1' }));
  expect(seen).toEqual({ correlationId: 'call-7', requestId: 'r-1' });
});

it('answers inside a new correlation id when the caller has none', async () => {
  const seen = await callRpc<TraceFields>(nc, subject, {});
  expect(seen).toEqual({ correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
});

it('refuses a question too large for one NATS message as a 413 PAYLOAD_TOO_LARGE, without asking', async () => {
  const maxPayload = nc.info!.max_payload;
  const asked = await callRpc(nc, subject, { blob: 'x'.repeat(maxPayload) }).then(
    () => 'answered',
    (e: unknown) => e,
  );
  expect(asked).toBeInstanceOf(RpcError);
  expect(asked).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413, message: expect.stringContaining(`${maxPayload - 1024}`) });
  // Just under the limit it is asked and answered.
  await expect(callRpc(nc, subject, { blob: 'x'.repeat(maxPayload - 2048) })).resolves.toEqual({ correlationId: expect.any(String) });
});
