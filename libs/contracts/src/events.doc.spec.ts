import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_EVENTS } from './events';
import { renderEventsDoc } from './events.doc';

describe('docs/events.md', () => {
  it('is what libs/contracts declares (run `npm run docs:events` after changing an event)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'events.md'), 'utf8');
    expect(committed).toBe(renderEventsDoc());
  });
  it('documents every event with a schema', () => {
    const doc = renderEventsDoc();
    for (const e of ALL_EVENTS) expect(doc).toContain(`## \`${e.subject}\``);
  });
});
