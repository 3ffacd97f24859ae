import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** Size budget of the production app (`npm run build` writes dist/web; `npm test` builds first). */
const ASSETS = resolve(import.meta.dirname, '../dist/web/assets');
const BUDGET = { js: 20 * 1024, css: 30 * 1024 };

function gzippedTotal(extension: string): number {
  let files: string[];
  try {
    files = readdirSync(ASSETS);
  } catch {
    throw new Error(`no build output in ${ASSETS}: run \`npm run build\` first`);
  }
  const matching = files.filter((name) => name.endsWith(extension));
  expect(matching.length, `no ${extension} file in ${ASSETS}`).toBeGreaterThan(0);
  return matching.reduce((sum, name) => sum + gzipSync(readFileSync(join(ASSETS, name))).length, 0);
}

describe('production build size', () => {
  it(`ships at most ${BUDGET.js / 1024} KB of JavaScript, gzipped`, () => {
    expect(gzippedTotal('.js')).toBeLessThanOrEqual(BUDGET.js);
  });

  it(`ships at most ${BUDGET.css / 1024} KB of CSS, gzipped`, () => {
    expect(gzippedTotal('.css')).toBeLessThanOrEqual(BUDGET.css);
  });
});
