/** RPC carries the caller's correlation id to the answering service (real NATS). */
import { randomBytes } from 'node:crypto';
import { currentTrace, runWithTrace, type TraceFields } from '@certflow/contracts';
import { connectNats } from './nats.connection';
import type { NatsConnection, Subscription } from './nats.types';
import { callRpc, serveRpc } from './rpc';

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
