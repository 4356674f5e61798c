import { Logger } from '@nestjs/common';
import { createEvent, IssuerCaPublishedV1 } from '@certflow/contracts';
import { RpcError } from '@certflow/messaging';
import { OnIssuerCaPublishedConsumer } from './on-issuer-ca-published.consumer';
import type { TrustStoreService } from '../trust-store.service';

const PEM = '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n';

describe('OnIssuerCaPublishedConsumer', () => {
  describe('when a published root is refused with a message quoting its subject', () => {
    it('logs one line with the subject\'s control characters escaped', async () => {
      const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const trustStore = {
          checkImport: async () => {
            throw new RpcError('CA_CERTIFICATE_UNUSABLE', 'Certificate #1 "CN=Root\x1b[2J\n{\"level\":30,\"msg\":\"trusted\"}\u202e" is not a CA');
          },
        } as unknown as TrustStoreService;
        const consumer = new OnIssuerCaPublishedConsumer({} as never, trustStore);
        const event = createEvent(IssuerCaPublishedV1, { issuer: 'acme', roots: [PEM], intermediates: [] }, { source: 'test', subject: 'acme' });
        const facts = [{ event, deliveryCount: 1 }];
        // The refusal needs no database: the transaction is never touched.
        const verdicts = await consumer.decide(facts, {} as never, await consumer.prepare(facts));
        expect(verdicts).toEqual([{ kind: 'skip', note: 'CA_CERTIFICATE_UNUSABLE' }]);
        expect(error).toHaveBeenCalledTimes(1);
        const line = String(error.mock.calls[0][0]);
        expect(line).toContain('"CN=Root\\x1b[2J\\x0a{"level":30,"msg":"trusted"}\\u{202E}" is not a CA');
        expect(line).not.toMatch(/[\u0000-\u001f\u202e]/);
      } finally {
        error.mockRestore();
      }
    });
  });
});
