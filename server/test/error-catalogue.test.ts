import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CLIENT_ERRORS } from '../../client/src/errors.js';
import { ERROR_CATALOGUE } from '../../protocol/errors.js';
import { withErrorTable } from '../../scripts/error-table.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

it("README's error table is the catalogue's", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  expect(readme).toBe(withErrorTable(readme));
});

/** Source files under `dir` (TypeScript and plain JS), skipping builds and dependencies. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (['node_modules', 'dist', 'results'].includes(name)) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

/**
 * Where code sets or tests an error code: `code: 'x'`, `code === 'x'`,
 * `.code).toBe('x')`, `AppError('x'`, `badRequest('x'`, `errorFrame('x'`,
 * `close(..., 'x',` and the like. Upper-case codes (SQLITE_BUSY, ECONNRESET)
 * are the platform's, not ours.
 */
const CODE_USES = [
  /\bcode\b\)?(?:\s*(?:===|!==|:)\s*|\)\.toBe\(\s*)'([a-z]+(?:_[a-z]+)*)'/g,
  /\b(?:AppError|badRequest|notFound|conflict|errorFrame|tooMany)\(\s*'([a-z]+(?:_[a-z]+)*)'/g,
  /\bclose(?:AfterCommits)?\(CloseCode\.\w+, '([a-z]+(?:_[a-z]+)*)'/g,
];

it('every error code the code uses is in the catalogue (or is one of the client library\'s own)', () => {
  // zod's own issue code (`ctx.addIssue({ code: 'custom' })`) is not one of ours.
  const known = new Set([...Object.keys(ERROR_CATALOGUE), ...Object.keys(CLIENT_ERRORS), 'custom']);
  const unknown: string[] = [];
  let uses = 0;
  for (const dir of ['server', 'client/src', 'client/test', 'web/src', 'scripts', 'e2e', 'examples']) {
    for (const file of sources(join(root, dir))) {
      if (file === fileURLToPath(import.meta.url)) continue;
      const text = readFileSync(file, 'utf8');
      for (const pattern of CODE_USES) {
        for (const [, code] of text.matchAll(pattern)) {
          uses++;
          if (!known.has(code!)) unknown.push(`${relative(root, file)}: ${code}`);
        }
      }
    }
  }
  expect(unknown).toEqual([]);
  // The patterns still find the uses (a rename that breaks them would make this test pass for nothing).
  expect(uses).toBeGreaterThan(50);
});
