import { test as base, expect, type Page } from '@playwright/test';
import { ServerProcess } from './server-process.js';

/** Each test gets its own server process and database; the page's baseURL points at it. */
export const test = base.extend<{ server: ServerProcess }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  server: async ({}, use) => {
    const server = await ServerProcess.start();
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
  };
}

/** Registers and connects `id` through the UI and waits for "connected". */
export async function registerAndConnect(page: Page, id: string): Promise<void> {
  const ui = app(page);
  await ui.sessionId.fill(id);
  await ui.register.click();
  await expect(page.getByText(`Session ${id} is registered`)).toBeVisible();
  await ui.connect.click();
  await expect(ui.status).toHaveText('connected');
}
