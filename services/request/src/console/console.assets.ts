import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';

/**
 * The console's files: plain ES modules and one CSS file, no build step. Resolved to the source
 * folder from both src/console and dist/console (swc compiles only .ts), so `npm start` serves them
 * as they are in the checkout.
 */
export const CONSOLE_ASSETS = join(__dirname, '..', '..', 'src', 'console', 'assets');

/** Headers of every console file: nothing inline, nothing from elsewhere, never framed. */
export function setConsoleHeaders(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-cache');
}

/** Serves the console's scripts and stylesheet under /console/ (the page itself is ConsoleController at `/`). */
export function serveConsoleAssets(app: INestApplication): void {
  (app as NestExpressApplication).useStaticAssets(CONSOLE_ASSETS, { prefix: '/console/', index: false, redirect: false, setHeaders: setConsoleHeaders });
}
