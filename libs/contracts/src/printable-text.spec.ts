import { printable } from './printable-text';

describe('printable', () => {
  describe('when the text is ordinary', () => {
    it.each([
      ['ASCII with DN punctuation', 'CN=web01.corp.example.com,O=Example\\, Inc.'],
      ['Latin with diacritics', 'CN=Zürich Ä ø'],
      ['CJK', 'O=東京株式会社,CN=例え.jp'],
      ['emoji (surrogate pairs)', 'CN=🔒 secure'],
      ['Arabic and Hebrew letters (bidi text without overrides)', 'O=شركة עברית'],
      ['the empty string', ''],
    ])('leaves %s as is', (_what, text) => {
      expect(printable(text)).toBe(text);
    });
  });

  describe('when the text holds control characters', () => {
    it.each([
      ['ESC (a terminal escape sequence)', 'CN=a\x1b]0;owned\x07b', 'CN=a\\x1b]0;owned\\x07b'],
      ['a newline forging a log line', 'x\n{"level":30}', 'x\\x0a{"level":30}'],
      ['a carriage return', 'good\rbad', 'good\\x0dbad'],
      ['a tab', 'a\tb', 'a\\x09b'],
      ['NUL', 'a\u0000b', 'a\\x00b'],
      ['DEL', 'a\u007fb', 'a\\x7fb'],
      ['C1 CSI (U+009B)', 'a\u009b31mb', 'a\\x9b31mb'],
      ['C1 NEL (U+0085)', 'a\u0085b', 'a\\x85b'],
    ])('escapes %s as \\xNN', (_what, text, expected) => {
      expect(printable(text)).toBe(expected);
    });
  });

  describe('when the text holds bidi controls', () => {
    it('escapes RIGHT-TO-LEFT OVERRIDE so a reversed name cannot pass for another', () => {
      expect(printable('CN=\u202emoc.elgoog')).toBe('CN=\\u{202E}moc.elgoog');
    });

    it.each([0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c])('escapes U+%s', (code) => {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      expect(printable(`a${String.fromCharCode(code)}b`)).toBe(`a\\u{${hex}}b`);
    });

    it('escapes the line and paragraph separators', () => {
      expect(printable('a\u2028b\u2029c')).toBe('a\\u{2028}b\\u{2029}c');
    });

    it('leaves the neighbours of the escaped ranges alone', () => {
      const neighbours = ['\u0020', '\u007e', '\u00a0', '\u00a1', '\u200d', '\u2027', '\u202f', '\u2065', '\u206a'];
      for (const ch of neighbours) expect(printable(ch)).toBe(ch);
    });
  });

  it('never leaves a control character in its output, whatever the input', () => {
    let all = '';
    for (let c = 0; c < 0x2100; c++) all += String.fromCharCode(c);
    expect(printable(all)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  });
});
