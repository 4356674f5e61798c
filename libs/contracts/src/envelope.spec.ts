import { ALL_EVENTS, ChainCompleteV1, createEvent, InvalidEventError, parseEvent } from './index';

describe('event envelope', () => {
  const data = { requestId: 'r1', thumbprint: 'A'.repeat(40), path: ['A'.repeat(40)] };

  describe('when an event is created', () => {
    it('is a CloudEvents 1.0 envelope whose type is the subject', () => {
      const event = createEvent(ChainCompleteV1, data, { source: 'certflow/test', subject: 'r1', time: new Date(0) });
      expect(event).toMatchObject({
        specversion: '1.0',
        type: 'certflow.chain.complete.v1',
        source: 'certflow/test',
        subject: 'r1',
        datacontenttype: 'application/json',
        time: '1970-01-01T00:00:00.000Z',
        data,
      });
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('refuses data that does not match the schema', () => {
      expect(() => createEvent(ChainCompleteV1, { ...data, path: [] }, { source: 's', subject: 'r1' })).toThrow();
    });
  });

  describe('when an event is parsed', () => {
    it('round-trips through JSON', () => {
      const event = createEvent(ChainCompleteV1, data, { source: 's', subject: 'r1' });
      expect(parseEvent(ChainCompleteV1, JSON.parse(JSON.stringify(event)))).toEqual(event);
    });

    it('refuses another event type', () => {
      const event = { ...createEvent(ChainCompleteV1, data, { source: 's', subject: 'r1' }), type: 'certflow.other.v1' };
      expect(() => parseEvent(ChainCompleteV1, event)).toThrow(InvalidEventError);
    });

    it('refuses something that is not an envelope', () => {
      expect(() => parseEvent(ChainCompleteV1, { hello: 1 })).toThrow(InvalidEventError);
    });
  });

  it('declares every subject once, under certflow.> and ending in a version', () => {
    const subjects = ALL_EVENTS.map((e) => e.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    for (const s of subjects) expect(s).toMatch(/^certflow\.[a-z.-]+\.v\d+$/);
  });
});
