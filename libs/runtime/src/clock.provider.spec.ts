import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@certflow/pki';
import { clockFromEnvironment } from './clock.provider';

describe('clockFromEnvironment', () => {
  it('is the system clock unless CERTFLOW_CLOCK_FILE is set', () => {
    expect(clockFromEnvironment({})).toBe(systemClock);
  });

  it('shifts by the seconds in the file, and follows the file when it changes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clock-')), 'offset');
    writeFileSync(file, '86400\n');
    const clock = clockFromEnvironment({ CERTFLOW_CLOCK_FILE: file });
    const dayMs = 86_400_000;
    expect(Math.abs(clock.now().getTime() - Date.now() - dayMs)).toBeLessThan(1000);
    writeFileSync(file, '-3600');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await new Promise((r) => setTimeout(r, 150));
    expect(Math.abs(clock.now().getTime() - Date.now() + 3_600_000)).toBeLessThan(1000);
  });

  it('is unshifted while the file is missing or not a number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clock-'));
    expect(Math.abs(clockFromEnvironment({ CERTFLOW_CLOCK_FILE: join(dir, 'none') }).now().getTime() - Date.now())).toBeLessThan(1000);
    writeFileSync(join(dir, 'bad'), 'soon');
    expect(Math.abs(clockFromEnvironment({ CERTFLOW_CLOCK_FILE: join(dir, 'bad') }).now().getTime() - Date.now())).toBeLessThan(1000);
  });
});
