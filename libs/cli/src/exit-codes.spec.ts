import { CliError, EXIT, exitCodeForState, worstExitCode } from './exit-codes';
import { hintFor } from './api-client';

describe('exit codes', () => {
  it('maps settled states to their documented codes', () => {
    expect(exitCodeForState('ASSIGNED')).toBe(0);
    expect(exitCodeForState('ASSIGNABLE')).toBe(0);
    expect(exitCodeForState('CHAIN_INCOMPLETE')).toBe(3);
    expect(exitCodeForState('FAILED')).toBe(4);
    expect(EXIT).toMatchObject({ OK: 0, ERROR: 1, USAGE: 2, CHAIN_INCOMPLETE: 3, FAILED: 4, TIMEOUT: 5, AUTH: 6, UNREACHABLE: 7, INTERRUPTED: 130 });
  });

  it('takes the worst outcome of many (bulk)', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode([0, 0, 5])).toBe(5);
    expect(worstExitCode([5, 3, 0])).toBe(3);
    expect(worstExitCode([3, 4, 5])).toBe(4);
    expect(worstExitCode([4, 1])).toBe(1);
  });

  it('prints an error as one line with its code and what to do', () => {
    const e = new CliError('the request is CHAIN_INCOMPLETE', EXIT.ERROR, 'NOT_ASSIGNABLE', hintFor(409, 'NOT_ASSIGNABLE', 'http://x'));
    expect(e.line()).toMatch(/^certflow: the request is CHAIN_INCOMPLETE \(NOT_ASSIGNABLE\) — see what is missing with `certflow status ID`/);
    expect(e.line()).not.toContain('\n');
    expect(hintFor(401, 'UNAUTHENTICATED', 'http://x')).toMatch(/--token/);
  });
});

describe('CliError.line', () => {
  it('escapes control characters the message quotes (a CA answer, a subject), keeping it one line', () => {
    const e = new CliError('the CA said: bad\x1b[2J\ncertflow: all good', EXIT.FAILED, 'CA_REJECTED', 'see \u202etxt.exe');
    expect(e.line()).toBe('certflow: the CA said: bad\\x1b[2J\\x0acertflow: all good (CA_REJECTED) — see \\u{202E}txt.exe');
  });
});
