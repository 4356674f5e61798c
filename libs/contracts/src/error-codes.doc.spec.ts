import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, INTERNAL_ERROR_CODES } from './error-codes';
import { renderErrorsDoc } from './error-codes.doc';

describe('docs/errors.md', () => {
  it('is what libs/contracts/src/error-codes.ts lists (run `npm run docs:events` after changing a code)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
    expect(committed).toBe(renderErrorsDoc());
  });
  it('has a row for every code, public and internal', () => {
    const doc = renderErrorsDoc();
    for (const code of [...Object.keys(ERROR_CODES), ...Object.keys(INTERNAL_ERROR_CODES)]) expect(doc).toContain(`| \`${code}\` |`);
  });
});

describe('ERROR_CODES', () => {
  it.each(Object.entries(ERROR_CODES))('%s follows the convention: UPPER_SNAKE, a 4xx/5xx status or none, a one-line meaning', (code, e) => {
    expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    if (e.status !== null) expect(e.status >= 400 && e.status < 600).toBe(true);
    expect(e.meaning).toMatch(/^\S.*[.)]$/);
    expect(e.meaning).not.toContain('\n');
  });
});
