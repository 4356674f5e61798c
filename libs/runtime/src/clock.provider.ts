import { readFileSync, statSync } from 'node:fs';
import type { Provider } from '@nestjs/common';
import { systemClock, type Clock } from '@certflow/pki';

/**
 * Injection token of a service's Clock. ServicePlatformModule binds the process clock; a test binds
 * a fixed one (libs/testing fixedClock) with `overrideProvider(CLOCK)`.
 */
export const CLOCK = 'CERTFLOW_CLOCK';
export const clockProvider: Provider<Clock> = { provide: CLOCK, useFactory: () => clockFromEnvironment() };

/** How often a shifted clock looks at its file again. */
const RECHECK_MS = 100;

/**
 * The process clock, shifted by the number of seconds in the file `CERTFLOW_CLOCK_FILE` names, when
 * it is set. It is how an end-to-end test moves a running service's time forward (a certificate's
 * expiry, weeks ahead, comes in seconds) without faketime: the file is read again when it changes.
 * Unset (production), it is the system clock. A missing or unreadable file is no shift.
 */
export function clockFromEnvironment(env: NodeJS.ProcessEnv = process.env): Clock {
  const file = env.CERTFLOW_CLOCK_FILE;
  return file ? new FileShiftedClock(file) : systemClock;
}

export class FileShiftedClock implements Clock {
  private offsetMs = 0;
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(private readonly file: string) {
    this.refresh(Date.now());
  }

  now(): Date {
    const real = Date.now();
    if (real - this.checkedAt >= RECHECK_MS) this.refresh(real);
    return new Date(real + this.offsetMs);
  }

  private refresh(real: number): void {
    this.checkedAt = real;
    try {
      const mtime = statSync(this.file).mtimeMs;
      if (mtime === this.mtimeMs) return;
      this.mtimeMs = mtime;
      const seconds = Number(readFileSync(this.file, 'utf8').trim());
      this.offsetMs = Number.isFinite(seconds) ? seconds * 1000 : 0;
    } catch {
      this.offsetMs = 0;
      this.mtimeMs = -1;
    }
  }
}
