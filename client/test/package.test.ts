import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tempDir } from '../../server/test/harness.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const TSC = resolve(ROOT, '../node_modules/typescript/bin/tsc');

it('packs into a self-contained package: it imports in Node and type-checks for a browser and for Node', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  try {
    const { stdout } = await run('npm', ['pack', '--pack-destination', dir.dir, '--json'], { cwd: ROOT });
    const [{ filename, files }] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    // Only the built files and the manifest: the protocol sources it needs are compiled in.
    expect(files.filter((f) => !f.path.startsWith('dist/')).map((f) => f.path).sort()).toEqual(['README.md', 'package.json']);
    expect(files.map((f) => f.path)).toContain('dist/protocol/errors.js');

    const app = join(dir.dir, 'app');
    const pkg = join(app, 'node_modules', 'websocket-session-client');
    mkdirSync(pkg, { recursive: true });
    await run('tar', ['-xzf', join(dir.dir, filename), '-C', pkg, '--strip-components=1']);
    writeFileSync(join(app, 'package.json'), '{"type":"module"}');

    // Node: both entry points load with no dependency installed.
    writeFileSync(join(app, 'node.mjs'), `
      import { createClient, ERROR_CATALOGUE } from 'websocket-session-client';
      import { fileTokenStore } from 'websocket-session-client/node';
      const client = createClient({ baseUrl: 'http://127.0.0.1:1', WebSocket: class {}, fetch: async () => { throw new Error('offline'); } });
      console.log(typeof client.send, typeof fileTokenStore, 'session_exists' in ERROR_CATALOGUE);`);
    expect((await run(process.execPath, ['node.mjs'], { cwd: app })).stdout.trim()).toBe('function function true');

    // Types: a browser app (DOM, no Node types) and a Node program (Node types, no DOM), strict, without skipLibCheck.
    writeFileSync(join(app, 'browser.ts'), `
      import { createClient, webStorageOutboxStore, type ClientErrorCode, type Message } from 'websocket-session-client';
      const client = createClient({ baseUrl: location.origin, auth: 'cookie', outboxStore: webStorageOutboxStore(sessionStorage) });
      client.on('message', (m: Message & { own: boolean }) => document.title = m.text);
      client.on('state', (s) => { if (s.status === 'closed') { const code: ClientErrorCode | null = s.code; void code; } });
      export const sent: Promise<Message> = client.send('hi');`);
    writeFileSync(join(app, 'node.ts'), `
      import { createClient, fileOutboxStore } from 'websocket-session-client/node';
      export const client = createClient({ baseUrl: 'http://localhost:8080', WebSocket: undefined as never, outboxStore: fileOutboxStore('.outbox') });`);
    const check = async (name: string, lib: string[], types: string[]) => {
      const compilerOptions = { noEmit: true, strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib, types, typeRoots: [resolve(ROOT, '../node_modules/@types')] };
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: [`${name}.ts`] }));
      await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], { cwd: app }).catch((e: { stdout: string }) => {
        throw new Error(`${name}: ${e.stdout}`);
      });
    };
    await check('browser', ['es2024', 'dom'], []);
    await check('node', ['es2024'], ['node']);
  } finally {
    dir.remove();
  }
});
