import { ConfigError } from '@certflow/runtime';
import { assertBodyLimitFitsNats, bodyLimitProblem, NATS_ENVELOPE_HEADROOM } from './nats-payload.check';

const MIB = 1024 * 1024;

describe('CERTFLOW_MAX_BODY_BYTES against the NATS server max_payload', () => {
  describe('when every accepted body fits a NATS message with room for the envelope', () => {
    it.each([
      ['the default 256 KiB under the default 1 MiB', 256 * 1024, MIB],
      ['exactly max_payload less the headroom', MIB - NATS_ENVELOPE_HEADROOM, MIB],
      ['10 MiB under a server raised to 16 MiB', 10 * MIB, 16 * MIB],
    ])('%s is accepted', (_sentence, body, payload) => {
      expect(bodyLimitProblem(body, payload)).toBeNull();
    });

    it('is not checked when the server did not say its max_payload', () => {
      expect(bodyLimitProblem(10 * MIB, undefined)).toBeNull();
    });
  });

  describe('when a body the API accepts would not fit', () => {
    it('names both numbers and the largest body that fits, and says what to change', () => {
      expect(bodyLimitProblem(MIB, MIB)).toBe(
        `CERTFLOW_MAX_BODY_BYTES: 1048576 bytes does not fit in the NATS server's max_payload of 1048576 bytes less 65536 bytes for the envelope (at most 983040); ` +
          "set CERTFLOW_MAX_BODY_BYTES to at most 983040, or raise max_payload in the NATS server's configuration",
      );
    });

    it('refuses one byte over the limit', () => {
      expect(bodyLimitProblem(MIB - NATS_ENVELOPE_HEADROOM + 1, MIB)).toMatch(/at most 983040/);
    });

    it('only asks for a larger max_payload when no body limit could fit under a tiny one', () => {
      expect(bodyLimitProblem(1024, 64 * 1024)).toBe(
        "CERTFLOW_MAX_BODY_BYTES: 1024 bytes does not fit in the NATS server's max_payload of 65536 bytes less 65536 bytes for the envelope (at most 0); raise max_payload in the NATS server's configuration",
      );
    });
  });

  describe('at start, once connected', () => {
    const connection = (maxPayload?: number) => ({ info: maxPayload === undefined ? undefined : ({ max_payload: maxPayload } as never) });

    it('stops the start with a configuration error when the body limit does not fit', () => {
      const start = () => assertBodyLimitFitsNats(2 * MIB, connection(MIB));
      expect(start).toThrow(ConfigError);
      expect(start).toThrow(/CERTFLOW_MAX_BODY_BYTES: 2097152 bytes .* max_payload of 1048576 bytes/);
    });

    it('lets the service start when it fits', () => {
      expect(() => assertBodyLimitFitsNats(256 * 1024, connection(MIB))).not.toThrow();
    });
  });
});
