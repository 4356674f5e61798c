import { pemToDer } from '../path/pem.decode';
import { verifyPath } from '../path/path.verify';

/**
 * Runs one x509-limbo test case (C2SP/x509-limbo) through {@link verifyPath}. Used by the
 * command-line harness (`scripts/limbo/run.mjs`, through the built dist) and by the conformance
 * spec, so both score exactly the same engine. Never throws.
 */

export interface LimboTestCase {
  id: string;
  features: string[];
  validation_kind: 'SERVER' | 'CLIENT';
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_peer_name: { kind: 'DNS' | 'IP' | 'RFC822'; value: string } | null;
  extended_key_usage: string[];
  key_usage: string[];
  max_chain_depth: number | null;
  crls: string[];
  expected_result: 'SUCCESS' | 'FAILURE';
}

export interface LimboResult {
  id: string;
  actual_result: 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  context: string | null;
}

/**
 * Features this engine does not implement, with the reason a case using them is SKIPPED (all are
 * optional features, outside the `--core` set). Documented in docs/limbo.md.
 */
export const UNSUPPORTED_FEATURES: Readonly<Record<string, string>> = {
  'has-crl': 'CRL revocation checking is not implemented (revocation is out of scope for path validation here)',
  'has-policy-constraints': 'certificate policy processing (RFC 5280 §6.1.3 (d)–(f), policy constraints) is not implemented',
};

/** Why a case is skipped, or `null` when it runs. */
export function skipReason(tc: LimboTestCase): string | null {
  for (const feature of tc.features) if (UNSUPPORTED_FEATURES[feature]) return UNSUPPORTED_FEATURES[feature];
  if (tc.crls.length > 0) return UNSUPPORTED_FEATURES['has-crl'];
  return null;
}

/** The limbo case's verdict, with the reason as context. */
export function runLimboCase(tc: LimboTestCase, now = new Date()): LimboResult {
  const skip = skipReason(tc);
  if (skip) return { id: tc.id, actual_result: 'SKIPPED', context: skip };
  try {
    const verdict = verifyPath({
      leaf: pemToDer(tc.peer_certificate),
      intermediates: tc.untrusted_intermediates.map(pemToDer),
      roots: tc.trusted_certs.map(pemToDer),
      at: tc.validation_time ? new Date(tc.validation_time) : now,
      validationKind: tc.validation_kind,
      ...(tc.extended_key_usage.length > 0 ? { ekus: tc.extended_key_usage } : {}),
      ...(tc.expected_peer_name ? { peerName: tc.expected_peer_name } : {}),
      ...(tc.key_usage.length > 0 ? { leafKeyUsage: tc.key_usage } : {}),
      // limbo counts intermediates; the engine counts every certificate, leaf and anchor included.
      ...(tc.max_chain_depth !== null ? { maxDepth: tc.max_chain_depth + 2 } : {}),
    });
    if (verdict.valid) return { id: tc.id, actual_result: 'SUCCESS', context: null };
    const context = verdict.failure?.reason ?? `no path to a trusted root (longest partial path: ${verdict.partial.path.length} certificate(s)${verdict.report.exhausted ? '; search budget exhausted' : ''})`;
    return { id: tc.id, actual_result: 'FAILURE', context };
  } catch (error) {
    return { id: tc.id, actual_result: 'FAILURE', context: `unreadable input: ${(error as Error)?.message ?? String(error)}` };
  }
}
