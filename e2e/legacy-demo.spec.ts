import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { desktopOnly, expect, test } from './fixtures.js';
import { ServerProcess } from './server-process.js';

/**
 * Issue 16: the original demo's page, served from another origin (a second
 * HTTP server on port 0), registers with GET /stream?id= and connects
 * without a token. Under LEGACY_OPEN_SESSIONS it works when its origin is in
 * ALLOWED_ORIGINS, and only then.
 */
desktopOnly();

const PAGE = readFileSync(resolve(import.meta.dirname, 'legacy-demo/index.html'));

let pageServer: Server;
let pageOrigin: string;

test.beforeAll(async () => {
  pageServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((done) => pageServer.listen(0, '127.0.0.1', done));
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((done) => pageServer.close(done));
});

async function withServer(allowedOrigins: string, body: (server: ServerProcess) => Promise<void>, legacy = true): Promise<void> {
  const server = await ServerProcess.start({ env: { LEGACY_OPEN_SESSIONS: String(legacy), ALLOWED_ORIGINS: allowedOrigins } });
  try {
    await body(server);
  } finally {
    await server.stop();
    server.removeData();
  }
}

const demoUrl = (server: ServerProcess, id: string) =>
  `${pageOrigin}/?${new URLSearchParams({ http: server.httpUrl, ws: `ws://127.0.0.1:${server.wsPort}`, id })}`;

async function tokenlessAdmissions(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  return Number(/^wss_tokenless_admissions_total (\d+)$/m.exec(text)?.[1]);
}

test('the demo page from an allowed origin registers, connects without a token and gets its echo', async ({ page }) => {
  await withServer(pageOrigin, async (server) => {
    await page.goto(demoUrl(server, '0101'));
    await expect(page.locator('#registered')).toHaveText('201');
    await expect(page.locator('#socket')).toHaveText('open');
    await expect(page.locator('#received')).toHaveText('0101: hello from the demo page');
    expect(await tokenlessAdmissions(server)).toBe(1);
  });
});

test('the same page from an origin not allowed can neither read the registration nor connect', async ({ page }) => {
  await withServer('http://127.0.0.1:1', async (server) => {
    await page.goto(demoUrl(server, '0102'));
    await expect(page.locator('#registered')).toHaveText('failed: TypeError');
    await expect(page.locator('#socket')).toHaveText('failed');
    await expect(page.locator('#received')).toHaveText('');
    expect(await tokenlessAdmissions(server)).toBe(0);
  });
});

test('with LEGACY_OPEN_SESSIONS off, the page from an allowed origin cannot read the registration nor connect without a token', async ({ page }) => {
  await withServer(
    pageOrigin,
    async (server) => {
      await page.goto(demoUrl(server, '0103'));
      await expect(page.locator('#registered')).toHaveText('failed: TypeError');
      await expect(page.locator('#socket')).toHaveText('failed');
      expect(await tokenlessAdmissions(server)).toBe(0);
    },
    false,
  );
});
