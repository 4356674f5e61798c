import { z } from 'zod';
import { ALL_EVENTS } from './events';
import { STREAM_NAME, STREAM_SUBJECTS } from './subjects';

/**
 * docs/events.md, generated from the declarations: one place documents every event with its
 * JSON Schema. `npm run docs:events` writes it; a unit test fails when it is stale.
 */
export function renderEventsDoc(): string {
  const lines = [
    '# certflow events',
    '',
    '<!-- generated from libs/contracts by `npm run docs:events`; do not edit by hand -->',
    '',
    `JetStream stream \`${STREAM_NAME}\` holds \`${STREAM_SUBJECTS.join(', ')}\`. Every message body is a CloudEvents 1.0 JSON`,
    'envelope `{specversion:"1.0", id, source, type, time, subject, datacontenttype:"application/json", data}`;',
    '`type` equals the NATS subject, `subject` is the request id (the thumbprint for trust-store events), and the',
    '`Nats-Msg-Id` header equals `id`, so JetStream drops a duplicate publish. Delivery is at least once; consumers',
    'dedupe by `id`. Events marked *added* extend CONTRACT.md; nothing of the contract is renamed.',
    '',
    'Optional CloudEvents extension attribute (*added*): `correlationid` — the HTTP call (`X-Request-Id`) or event',
    'chain the event descends from; services copy it into the events they emit while handling one, and into every',
    'log line (`correlationId`). Consumers must accept envelopes without it. See docs/observability.md.',
    '',
    '| subject | meaning |',
    '|---|---|',
    ...ALL_EVENTS.map((e) => `| \`${e.subject}\` | ${e.description} |`),
    '',
  ];
  for (const e of ALL_EVENTS) {
    lines.push(`## \`${e.subject}\``, '', e.description, '', '```json', JSON.stringify(z.toJSONSchema(e.schema, { io: 'input' }), null, 2), '```', '');
  }
  return lines.join('\n');
}
