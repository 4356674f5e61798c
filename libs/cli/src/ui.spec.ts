import { ProgressBar, Spinner, table } from './ui';

/** Collects what a spinner or bar writes. */
const sink = () => {
  const out: string[] = [];
  return { out, stream: { write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream };
};
const EVIL = 'CN=a\x1b]0;pwned\x07\rb\u202e';
const ESCAPED = 'CN=a\\x1b]0;pwned\\x07\\x0db\\u{202E}';

describe('CLI output of text from certificates and CAs', () => {
  describe('table', () => {
    it('escapes control characters in cells and pads by the escaped width', () => {
      const text = table(['SUBJECT', 'X'], [[EVIL, '1'], ['CN=Zürich', '2']]);
      expect(text.split('\n')).toEqual([`SUBJECT${' '.repeat(ESCAPED.length - 7)}  X`, `${ESCAPED}  1`, `CN=Zürich${' '.repeat(ESCAPED.length - 9)}  2`]);
    });
  });

  describe('Spinner and ProgressBar without a terminal', () => {
    it('write escaped lines, and only their own newlines', () => {
      const s = sink();
      const spinner = new Spinner(s.stream, false).start(EVIL);
      spinner.note(`state: ${EVIL}`);
      spinner.stop(`done ${EVIL}`);
      const bar = new ProgressBar(1, s.stream, false);
      bar.note(EVIL);
      bar.tick('FAILED', EVIL);
      expect(s.out).toEqual([`state: ${ESCAPED}\n`, `done ${ESCAPED}\n`, `${ESCAPED}\n`, `[1/1] ${ESCAPED} FAILED\n`]);
    });
  });

  describe('Spinner on a terminal', () => {
    it('keeps its own escape sequences but escapes the text it shows', () => {
      const s = sink();
      const spinner = new Spinner(s.stream, true).start(EVIL);
      spinner.stop();
      expect(s.out[0]).toMatch(/^\r\x1b\[2K. /);
      expect(s.out[0]).toContain(ESCAPED);
      expect(s.out[0].slice(5)).not.toContain('\x07');
    });
  });
});
