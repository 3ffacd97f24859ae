// Runs `npm run build` when dist/ is missing or older than the sources, so
// `npm start` never serves a stale build (after a git pull, say).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const outputs = ['dist/server/main.js', 'dist/web/index.html'];
const sources = ['server', 'protocol', 'client/src', 'web', 'vite.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'test') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

// tsc and vite rewrite these on every build, so their age is the build's.
const built = outputs.every(existsSync) ? Math.min(...outputs.map((o) => statSync(o).mtimeMs)) : 0;
if (built > Math.max(...sources.map(newestMtime))) process.exit(0);

console.log(built === 0 ? 'No build yet: building...' : 'Sources changed since the last build: rebuilding...');
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
