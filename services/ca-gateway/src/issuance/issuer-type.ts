/**
 * The kinds of CA this gateway can talk to; declared once, with the issuers configuration, in
 * libs/runtime (issuers.config.ts).
 */
export { ISSUER_TYPES, type IssuerType } from '@certflow/runtime';
