/** Writes docs/asyncapi.json from the code (`npm run docs:asyncapi`); server/test/asyncapi.test.ts fails while it is stale. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asyncApiDocument } from '../server/ws/asyncapi.js';

const target = resolve(import.meta.dirname, '../docs/asyncapi.json');
writeFileSync(target, `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
console.warn(`wrote ${target}`);
