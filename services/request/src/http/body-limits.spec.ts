import { ApiError } from './api-error';
import { MAX_JSON_DEPTH, bodyTooLargeMessage, jsonDepth, refuseDeepJson } from './body-limits';
import { requireSingleValues } from './query-params';

/** The `{code, message}` an ApiError answers with. */
const errorOf = (e: unknown) => ((e as ApiError).getResponse() as { error: { code: string; message: string } }).error;

describe('JSON depth', () => {
  it.each([
    ['"text"', 0],
    ['{}', 1],
    ['{"usages":["Default"]}', 2],
    ['[[[[]]]]', 4],
    ['{"a":"[[[[","b":[1]}', 2],
    ['[1,[2],[3,[4]]]', 3],
    ['{"a":{"b":{"c":[]}},"d":1}', 4],
  ])('%s is %i deep', (text, depth) => {
    expect(jsonDepth(JSON.parse(text))).toBe(depth);
  });

  /** Runs the middleware on a parsed body; returns what it passed to `next`. */
  const run = (body: unknown) => {
    let passed: unknown = 'not called';
    refuseDeepJson({ body } as never, {} as never, (e) => (passed = e));
    return passed;
  };
  const nested = (n: number) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`) as unknown;

  it(`refuses more than ${MAX_JSON_DEPTH} levels with a 400 JSON_TOO_DEEP that says the limit, and takes ${MAX_JSON_DEPTH}`, () => {
    expect(run(nested(MAX_JSON_DEPTH))).toBeUndefined();
    const refused = run(nested(100_000));
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).getStatus()).toBe(400);
    expect(errorOf(refused)).toEqual({ code: 'JSON_TOO_DEEP', message: expect.stringContaining(`more than ${MAX_JSON_DEPTH} levels`) });
  });

  it('lets bodies that are not JSON through', () => {
    expect(run(undefined)).toBeUndefined();
    expect(run('-----BEGIN CERTIFICATE-----')).toBeUndefined();
  });
});

describe('the 413 message', () => {
  it("names the body's size and the limit body-parser reports", () => {
    expect(bodyTooLargeMessage({ limit: 262144, length: 300000 })).toBe('the request body is 300000 bytes; at most 262144 bytes are accepted (CERTFLOW_MAX_BODY_BYTES)');
  });
  it('still says where the limit is set when body-parser gives no numbers', () => {
    expect(bodyTooLargeMessage(undefined)).toMatch(/CERTFLOW_MAX_BODY_BYTES/);
  });
  it('names the batch setting on the batch route, whose limit is its own', () => {
    expect(bodyTooLargeMessage({ limit: 8388608 }, '/api/v1/requests/batch?x=1')).toMatch(/at most 8388608 bytes are accepted \(CERTFLOW_MAX_BATCH_BODY_BYTES; send fewer items per call\)$/);
    expect(bodyTooLargeMessage({ limit: 262144 }, '/api/v1/requests')).toMatch(/\(CERTFLOW_MAX_BODY_BYTES\)$/);
  });
});

describe('query parameters', () => {
  it('takes single values and absent ones', () => {
    expect(() => requireSingleValues({ host: 'a', state: undefined })).not.toThrow();
  });
  it.each([[{ host: ['a', 'b'] }], [{ host: { x: 'a' } }]])('refuses %j with INVALID_QUERY naming the parameter', (q) => {
    let thrown: unknown;
    try {
      requireSingleValues(q);
    } catch (e) {
      thrown = e;
    }
    expect(errorOf(thrown)).toEqual({ code: 'INVALID_QUERY', message: expect.stringContaining('"host"') });
  });
});
