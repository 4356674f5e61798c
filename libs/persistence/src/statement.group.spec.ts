import fc from 'fast-check';
import { escapeLiteral } from 'pg';
import { literal } from './statement.group';

describe('literal', () => {
  it("quotes text exactly as pg's escapeLiteral does", () => {
    const text = fc.string({ unit: fc.constantFrom("'", '\\', '"', 'a', 'é', '😀', ' ', '\n', '$', ';'), maxLength: 40 });
    fc.assert(fc.property(text, (t) => literal(t) === escapeLiteral(t)), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (t) => literal(t) === escapeLiteral(t)), { numRuns: 2000 });
  });

  it('converts other values the way pg converts parameters', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal(undefined)).toBe('NULL');
    expect(literal(42)).toBe("'42'");
    expect(literal(true)).toBe("'true'");
    expect(literal(['a', "b'c", null])).toBe(`'{"a","b''c",NULL}'`);
    expect(literal({ k: "it's" })).toBe(`'{"k":"it''s"}'`);
    expect(literal(Buffer.from([0, 255]))).toBe(" E'\\\\x00ff'");
  });
});
