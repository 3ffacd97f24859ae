import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { app, desktopOnly, expect, openSession, test } from './fixtures.js';
import { ServerProcess } from './server-process.js';

const ROOT = resolve(import.meta.dirname, '..');
/** Terminal colour codes (ESC [ ... m) in Vite's banner. */
const ANSI_COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

desktopOnly();
// Starting Vite and transforming the app from source on a loaded machine.
test.setTimeout(180_000);

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/** Resolves once the child printed `pattern` on stdout or stderr (Vite's banner, a server's line). */
function printed(child: ChildProcess, pattern: RegExp): Promise<void> {
  let seen = '';
  return new Promise((done, fail) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen.replace(ANSI_COLOURS, ''))) done();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`exited ${code} before printing ${pattern}: ${seen.slice(-2000)}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

test('string and component edits hot-update without a reload: the draft and the search stay; the cold first load is measured', async ({ page }, testInfo) => {
  // A copy of web/ to edit (protocol, client and node_modules linked): the test never touches the repository's files.
  const dir = mkdtempSync(join(tmpdir(), 'wss-dev-'));
  cpSync(join(ROOT, 'web'), join(dir, 'web'), { recursive: true });
  for (const name of ['protocol', 'client', 'node_modules']) symlinkSync(join(ROOT, name), join(dir, name));
  const port = await freePort();
  // The API server lets the dev origin in (npm run dev does it with DEV_ORIGINS and VITE_PORT).
  const server = await ServerProcess.start({ env: { ALLOWED_ORIGINS: `http://localhost:${port}` } });
  const vite = spawn(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), '--config', join(ROOT, 'vite.config.ts'), '--port', String(port), '--force'], {
    cwd: dir,
    env: { ...process.env, HTTP_PORT: String(server.httpPort), VITE_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await printed(vite, /ready in/);
    const started = performance.now();
    await page.goto(`http://localhost:${port}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined);
    const coldMs = Math.round(performance.now() - started);
    testInfo.annotations.push({ type: 'cold dev load (ms)', description: String(coldMs) });
    console.log(`cold dev load: ${coldMs} ms`);

    await openSession(page, 'hot');
    const ui = app(page);
    await ui.message.fill('a draft in progress');
    await ui.searchButton.click();
    await ui.search.fill('needle');
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // A string: the dictionary is swapped and every text shown again.
    const strings = join(dir, 'web/src/strings-en.ts');
    writeFileSync(strings, readFileSync(strings, 'utf8').replace("'Write a message'", "'Write something nice'"));
    await expect(ui.message).toHaveAttribute('placeholder', 'Write something nice');

    // A component: swapped in place with its dependencies.
    const panel = join(dir, 'web/src/components/search-panel.ts');
    writeFileSync(panel, readFileSync(panel, 'utf8').replace('maxlength: 200', 'maxlength: 150'));
    await expect(page.locator('#search-input')).toHaveAttribute('maxlength', '150');

    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    await expect(ui.message).toHaveValue('a draft in progress');
    await expect(ui.status).toHaveText('Connected');
  } finally {
    await stop(vite);
    await server.stop();
    server.removeData();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.describe('npm run dev -- --port N', () => {
  test.use({ serverEnv: {} });

  test('serves the app on that port, proxied to the API server', async ({ page }) => {
    const [vitePort, httpPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    const data = mkdtempSync(join(tmpdir(), 'wss-dev-db-'));
    const dev = spawn('npm', ['run', 'dev', '--', '--port', String(vitePort)], {
      cwd: ROOT,
      env: {
        ...process.env,
        HTTP_PORT: String(httpPort),
        WS_PORT: String(wsPort),
        HOST: '127.0.0.1',
        DB_PATH: join(data, 'app.db'),
        // No ALLOWED_ORIGINS: the dev origin gets in only through what npm run dev sets (DEV_ORIGINS, VITE_PORT).
        ALLOWED_ORIGINS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      await Promise.all([printed(dev, new RegExp(`localhost:${vitePort}`)), printed(dev, /"httpPort"|listening/i)]);
      await page.goto(`http://localhost:${vitePort}/`);
      await openSession(page, 'dev');
      await app(page).message.fill('through the proxy');
      await app(page).message.press('Enter');
      await expect(app(page).bubbles).toHaveText(['through the proxy']);
    } finally {
      // concurrently stops both children when its group is told to.
      if (dev.pid !== undefined && dev.exitCode === null) {
        const exited = new Promise((done) => dev.once('exit', done));
        process.kill(-dev.pid, 'SIGTERM');
        await exited;
      }
      rmSync(data, { recursive: true, force: true });
    }
  });
});
