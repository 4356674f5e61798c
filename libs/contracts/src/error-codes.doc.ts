import { ERROR_CODES, INTERNAL_ERROR_CODES } from './error-codes';

/**
 * docs/errors.md, generated from the catalog in error-codes.ts: one place lists every code a client
 * can get. `npm run docs:events` writes it (beside docs/events.md); a unit test fails when it is stale.
 */
export function renderErrorsDoc(): string {
  return [
    '# certflow error codes',
    '',
    '<!-- generated from libs/contracts/src/error-codes.ts by `npm run docs:events`; do not edit by hand -->',
    '',
    'Every refusal of the HTTP API is a 4xx (503 when a service is down, 500 only for a bug) with the body',
    '`{"error":{"code","message","details"?}}`. Clients switch on `code`; `message` says what to fix and may',
    'change; `details` carries structured data where the table says so.',
    '',
    '## Convention for codes',
    '',
    '- UPPER_SNAKE, a noun phrase of what is wrong: `CSR_UNPARSABLE`, `HOST_NOT_ALLOWED`; `INVALID_<field>` for a',
    '  value of the wrong shape, `UNKNOWN_<thing>` for a name certflow does not know, `<THING>_NOT_FOUND` for a',
    '  missing resource, `TOO_MANY_<things>` for a limit.',
    '- Stable once published: a code is part of the public contract. It is never renamed and never reused with',
    '  another meaning; a new meaning gets a new code. Add it to `libs/contracts/src/error-codes.ts` first',
    '  (`ApiError` takes only catalogued codes; `test/architecture/error-codes.spec.ts` checks the rest).',
    '- Reasons are not error codes: why a request FAILED (`RequestFailed.code`, e.g. `CaUnreachable`), why a',
    '  usage was not bound (e.g. `HostNotInCertificate`) are PascalCase reasons carried by events and views.',
    '',
    '## Codes',
    '',
    '| code | HTTP status | meaning |',
    '|---|---|---|',
    ...Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.status ?? '—'} | ${e.meaning} |`),
    '',
    '## Internal codes',
    '',
    'Thrown inside the CA gateway (key material, start-up); never in an API answer.',
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(INTERNAL_ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
  ].join('\n');
}
