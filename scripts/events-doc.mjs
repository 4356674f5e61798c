// Writes docs/events.md and docs/errors.md from libs/contracts (built). `npm run docs:events`.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './lib/infra.mjs';
const require = createRequire(import.meta.url);
const { renderEventsDoc, renderErrorsDoc } = require(join(ROOT, 'libs/contracts/dist/index.js'));
writeFileSync(join(ROOT, 'docs/events.md'), renderEventsDoc());
console.log('wrote docs/events.md');
writeFileSync(join(ROOT, 'docs/errors.md'), renderErrorsDoc());
console.log('wrote docs/errors.md');
