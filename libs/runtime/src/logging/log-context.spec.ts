import { Writable } from 'node:stream';
import { createLogger } from '../logger';
import { annotateTrace, runWithTrace } from './log-context';

/** A logger writing into an array of parsed lines. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger('svc', 'debug', sink) };
}

describe('createLogger with the trace context', () => {
  it('puts requestId, eventId and correlationId on every line written inside a context', async () => {
    const { lines, logger } = capture();
    await runWithTrace({ correlationId: 'call-1', eventId: 'ev-1' }, async () => {
      logger.info('before the id is known');
      await Promise.resolve();
      annotateTrace({ requestId: 'req-1' });
      logger.debug({ step: 2 }, 'after');
    });
    expect(lines.map(({ msg, requestId, eventId, correlationId, service }) => ({ msg, requestId, eventId, correlationId, service }))).toEqual([
      { msg: 'before the id is known', requestId: undefined, eventId: 'ev-1', correlationId: 'call-1', service: 'svc' },
      { msg: 'after', requestId: 'req-1', eventId: 'ev-1', correlationId: 'call-1', service: 'svc' },
    ]);
    expect(lines[1].step).toBe(2);
  });

  it('adds nothing outside a context, and a field the call passes wins over the context', () => {
    const { lines, logger } = capture();
    logger.info('outside');
    runWithTrace({ requestId: 'from-context' }, () => logger.info({ requestId: 'from-call' }, 'inside'));
    expect(lines[0]).not.toHaveProperty('requestId');
    expect(lines[0]).not.toHaveProperty('correlationId');
    expect(lines[1].requestId).toBe('from-call');
  });

  it('still redacts tokens and keys', () => {
    const { lines, logger } = capture();
    runWithTrace({ correlationId: 'c' }, () => logger.info({ token: 'secret-token', headers: { authorization: 'Bearer x' } }, 'call'));
    expect(JSON.stringify(lines[0])).not.toMatch(/secret-token|Bearer x/);
  });
});
