import { ChainCompleteV1 } from './events';
import { CloudEventSchema, createEvent, parseEvent } from './envelope';
import { acceptCorrelationId, annotateTrace, currentTrace, runWithTrace } from './trace-context';

const data = { requestId: 'r1', thumbprint: 'AB'.repeat(20), path: ['AB'.repeat(20), 'CD'.repeat(20)] };

describe('trace context', () => {
  it('holds its fields through awaits, and nothing outside', async () => {
    expect(currentTrace()).toBeUndefined();
    const seen = await runWithTrace({ correlationId: 'c1', requestId: 'r1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentTrace();
    });
    expect(seen).toEqual({ correlationId: 'c1', requestId: 'r1' });
    expect(currentTrace()).toBeUndefined();
  });

  it('keeps concurrent units of work apart', async () => {
    const run = (id: string, delay: number) =>
      runWithTrace({ correlationId: id }, async () => {
        await new Promise((r) => setTimeout(r, delay));
        annotateTrace({ requestId: `req-${id}` });
        await new Promise((r) => setTimeout(r, delay));
        return currentTrace();
      });
    expect(await Promise.all([run('a', 5), run('b', 1)])).toEqual([
      { correlationId: 'a', requestId: 'req-a' },
      { correlationId: 'b', requestId: 'req-b' },
    ]);
  });

  it('does not let an inner context or an annotation leak into the caller, and drops empty fields', () => {
    runWithTrace({ correlationId: 'outer', eventId: '' }, () => {
      expect(currentTrace()).toEqual({ correlationId: 'outer' });
      runWithTrace({ ...currentTrace(), requestId: 'inner' }, () => annotateTrace({ eventId: 'e1' }));
      expect(currentTrace()).toEqual({ correlationId: 'outer' });
    });
    expect(() => annotateTrace({ requestId: 'nowhere' })).not.toThrow();
    expect(currentTrace()).toBeUndefined();
  });

  it('accepts a sane caller correlation id and replaces anything else with a new UUID', () => {
    expect(acceptCorrelationId('abc-123_x.y:z@host/1')).toBe('abc-123_x.y:z@host/1');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), '{"json":1}', ['a', 'b']]) {
      expect(acceptCorrelationId(bad)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});

describe('the correlationid extension attribute', () => {
  it('is filled from the trace context when an event is created inside one', () => {
    const event = runWithTrace({ correlationId: 'call-1' }, () => createEvent(ChainCompleteV1, data, { source: 's', subject: 'r1' }));
    expect(event.correlationid).toBe('call-1');
  });

  it('is absent outside any context, and an explicit one wins over the context', () => {
    expect('correlationid' in createEvent(ChainCompleteV1, data, { source: 's', subject: 'r1' })).toBe(false);
    const event = runWithTrace({ correlationId: 'ctx' }, () => createEvent(ChainCompleteV1, data, { source: 's', subject: 'r1', correlationId: 'given' }));
    expect(event.correlationid).toBe('given');
  });

  it('survives parsing, and an envelope without it still parses', () => {
    const event = runWithTrace({ correlationId: 'call-2' }, () => createEvent(ChainCompleteV1, data, { source: 's', subject: 'r1' }));
    expect(parseEvent(ChainCompleteV1, JSON.parse(JSON.stringify(event))).correlationid).toBe('call-2');
    const { correlationid: _, ...without } = event;
    expect(parseEvent(ChainCompleteV1, without).correlationid).toBeUndefined();
    expect(CloudEventSchema.safeParse({ ...event, correlationid: '' }).success).toBe(false);
  });
});
