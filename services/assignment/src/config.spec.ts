import { loadConfig } from '@certflow/runtime';
import { AssignmentConfigSchema } from './config';

describe('assignment configuration of the expiry watch', () => {
  it('defaults to warnings at 30, 14, 7 and 1 days, a round every 30 s, and no renewBefore', () => {
    const c = loadConfig(AssignmentConfigSchema, {});
    expect(c.CERTFLOW_EXPIRY_WARN_DAYS).toEqual([30, 14, 7, 1]);
    expect(c.CERTFLOW_WATCH_INTERVAL_MS).toBe(30_000);
    expect(c.CERTFLOW_RENEW_BEFORE).toBeUndefined();
  });

  it('reads a comma list of days, largest first, duplicates once', () => {
    expect(loadConfig(AssignmentConfigSchema, { CERTFLOW_EXPIRY_WARN_DAYS: '7, 60,7,3' }).CERTFLOW_EXPIRY_WARN_DAYS).toEqual([60, 7, 3]);
  });

  it.each([
    ['CERTFLOW_EXPIRY_WARN_DAYS', '30;14', /CERTFLOW_EXPIRY_WARN_DAYS: must be a comma list/],
    ['CERTFLOW_EXPIRY_WARN_DAYS', '30,0', /CERTFLOW_EXPIRY_WARN_DAYS: every threshold must be between 1 and 3650/],
    ['CERTFLOW_WATCH_INTERVAL_MS', '10', /CERTFLOW_WATCH_INTERVAL_MS: must be at least 50/],
    ['CERTFLOW_RENEW_BEFORE', 'P1M', /CERTFLOW_RENEW_BEFORE: must be an ISO 8601 duration/],
    ['CERTFLOW_RELEASE_UNTRUSTED', 'yes', /CERTFLOW_RELEASE_UNTRUSTED: must be true \(release bindings/],
  ])('refuses %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadConfig(AssignmentConfigSchema, { [name]: value })).toThrow(message);
  });

  it('takes an ISO duration for CERTFLOW_RENEW_BEFORE', () => {
    expect(loadConfig(AssignmentConfigSchema, { CERTFLOW_RENEW_BEFORE: 'P30D' }).CERTFLOW_RENEW_BEFORE).toBe('P30D');
  });

  it('only reports untrusted certificates unless CERTFLOW_RELEASE_UNTRUSTED=true', () => {
    expect(loadConfig(AssignmentConfigSchema, {}).CERTFLOW_RELEASE_UNTRUSTED).toBe(false);
    expect(loadConfig(AssignmentConfigSchema, { CERTFLOW_RELEASE_UNTRUSTED: 'true' }).CERTFLOW_RELEASE_UNTRUSTED).toBe(true);
  });
});
