import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

/** Size budget of the production app (`npm run build` writes dist/web; `npm test` builds first). */
const DIST = resolve(import.meta.dirname, '../dist/web');
const ASSETS = join(DIST, 'assets');
const BUDGET = { js: 20 * 1024, css: 30 * 1024 };
/** Each language's texts are a chunk of their own (web/src/i18n.ts): a visitor loads one, the largest counts. */
const LANGUAGE_CHUNK = /^strings-[\w-]+?-[\w-]{8}\.js$/;

function assets(extension: string): string[] {
  let files: string[];
  try {
    files = readdirSync(ASSETS);
  } catch {
    throw new Error(`no build output in ${ASSETS}: run \`npm run build\` first`);
  }
  const matching = files.filter((name) => name.endsWith(extension));
  expect(matching.length, `no ${extension} file in ${ASSETS}`).toBeGreaterThan(0);
  return matching.map((name) => join(ASSETS, name));
}

const gzipped = (path: string) => gzipSync(readFileSync(path)).length;

describe('production build size', () => {
  it(`ships at most ${BUDGET.js / 1024} KB of JavaScript to a visitor, gzipped: boot.js, every chunk, one language`, () => {
    const files = assets('.js');
    const languages = files.filter((path) => LANGUAGE_CHUNK.test(path.slice(ASSETS.length + 1)));
    expect(languages, 'one chunk per language').toHaveLength(2);
    const always = files.filter((path) => !languages.includes(path)).concat(join(DIST, 'boot.js'));
    const total = always.reduce((sum, path) => sum + gzipped(path), 0) + Math.max(...languages.map(gzipped));
    expect(total).toBeLessThanOrEqual(BUDGET.js);
  });

  it(`ships at most ${BUDGET.css / 1024} KB of CSS, gzipped`, () => {
    expect(assets('.css').reduce((sum, path) => sum + gzipped(path), 0)).toBeLessThanOrEqual(BUDGET.css);
  });
});

describe('source maps', () => {
  it('are built beside each script, and no script names its map (it would be a 404 unless SERVE_SOURCE_MAPS)', () => {
    for (const path of assets('.js')) {
      expect(readFileSync(path, 'utf8'), path).not.toContain('sourceMappingURL');
      expect(existsSync(`${path}.map`), `${path}.map`).toBe(true);
    }
  });
});
