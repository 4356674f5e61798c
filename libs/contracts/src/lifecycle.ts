import { z } from 'zod';

/**
 * Renewal and expiry, as the contract's "v2 additions" define them: who makes the new key, when the
 * renewal window opens, and which expiry warnings go out.
 */

/** `Always`: the host makes a new key for each renewal (certflow never holds it). `Never`: certflow re-submits the stored CSR. */
export const ROTATION_POLICIES = ['Always', 'Never'] as const;
export type RotationPolicy = (typeof ROTATION_POLICIES)[number];
export const RotationPolicySchema = z.enum(ROTATION_POLICIES);

/** Days before notAfter at which `certificate.expiring` goes out, unless CERTFLOW_EXPIRY_WARN_DAYS says otherwise. */
export const DEFAULT_EXPIRY_WARN_DAYS: readonly number[] = [30, 14, 7, 1];

const DURATION = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/;

/**
 * An ISO 8601 duration in seconds, or null if it is not one certflow accepts. Weeks, days, hours,
 * minutes and seconds only: a month or a year has no fixed length, and a renewal window that moves
 * with the calendar would surprise. `P30D`, `P2W`, `PT720H`, `P1DT12H`.
 */
export function parseIsoDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return null;
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  const seconds = Number(w) * 604_800 + Number(d) * 86_400 + Number(h) * 3_600 + Number(min) * 60 + Number(s);
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : null;
}

export const ISO_DURATION_HINT = 'an ISO 8601 duration in weeks, days, hours, minutes or seconds, greater than zero (e.g. P30D, P2W, PT720H)';

/** A renewBefore as it travels: the duration text, checked. */
export const RenewBeforeSchema = z.string().max(40).refine((t) => parseIsoDuration(t) !== null, { message: `renewBefore must be ${ISO_DURATION_HINT}` });
