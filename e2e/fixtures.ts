import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { ServerProcess } from './server-process.js';

/** Each test gets its own server process and database; the page's baseURL points at it. */
export const test = base.extend<{ server: ServerProcess; serverEnv: Record<string, string> }>({
  /** Extra settings for the test's server, e.g. `test.use({ serverEnv: { MAX_MESSAGE_BYTES: '200' } })`. */
  serverEnv: [{}, { option: true }],
  server: async ({ serverEnv }, use) => {
    const server = await ServerProcess.start({ env: serverEnv });
    await use(server);
    await server.stop();
    server.removeData();
  },
  baseURL: async ({ server }, use) => {
    await use(server.httpUrl);
  },
});

export { expect };

/** The app's controls, by their accessible names. */
export function app(page: Page) {
  return {
    sessionId: page.getByLabel('Session ID'),
    message: page.getByLabel('Message', { exact: true }),
    register: page.getByRole('button', { name: 'Register' }),
    connect: page.getByRole('button', { name: 'Connect', exact: true }),
    send: page.getByRole('button', { name: 'Send' }),
    status: page.locator('#status'),
    history: page.getByRole('list', { name: 'Message history' }),
    alert: page.getByRole('alert'),
    jump: page.getByRole('button', { name: 'Jump to latest' }),
    search: page.getByRole('searchbox', { name: 'Search messages' }),
    results: page.getByRole('list', { name: 'Search results' }),
    toasts: page.locator('#toasts'),
  };
}

/** Registers `id` through the UI (without connecting). */
export async function register(page: Page, id: string): Promise<void> {
  const ui = app(page);
  await ui.sessionId.fill(id);
  await ui.register.click();
  await expect(page.getByText(`Session ${id} is registered`)).toBeVisible();
}

/** Registers and connects `id` through the UI and waits for "connected". */
export async function registerAndConnect(page: Page, id: string): Promise<void> {
  await register(page, id);
  await app(page).connect.click();
  await expect(app(page).status).toHaveText('connected');
}

/** Sends `text` with Enter and waits for its echo. */
export async function sendMessage(page: Page, sessionId: string, text: string): Promise<void> {
  const ui = app(page);
  await ui.message.fill(text);
  await ui.message.press('Enter');
  await expect(ui.history.getByText(`${sessionId}: ${text}`, { exact: true })).toBeVisible();
}

/** The seqs of the messages the list shows, in DOM order. */
export function shownSeqs(page: Page): Promise<number[]> {
  return page.locator('#messages li[data-seq]').evaluateAll((items) => items.map((li) => Number((li as HTMLElement).dataset.seq)));
}

/**
 * Full-page screenshots at a phone width (375 px) and a desktop width (1280
 * px): saved as test-results/<test>/<name>-<width>px.png and attached to the
 * test's report.
 */
export async function screenshots(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const original = page.viewportSize();
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const path = testInfo.outputPath(`${name}-${width}px.png`);
    await page.screenshot({ path, fullPage: true, animations: 'disabled' });
    await testInfo.attach(`${name}-${width}px`, { path, contentType: 'image/png' });
  }
  if (original) await page.setViewportSize(original);
}
