import { AxeBuilder } from '@axe-core/playwright';
import { test as base, expect, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
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

/** Skips a spec on the phone project: for durability at scale, where the window's size changes nothing. */
export function desktopOnly(): void {
  test.skip(({ isMobile }) => isMobile, 'the same at every size; run at the desktop size only');
}

/** The app's controls, by their accessible names (English). */
export function app(page: Page) {
  return {
    sessionId: page.getByLabel('Session ID'),
    open: page.getByRole('button', { name: 'Open', exact: true }),
    sessionsToggle: page.getByRole('button', { name: 'Sessions' }),
    recent: page.getByRole('list', { name: 'In this browser' }),
    message: page.getByLabel('Message', { exact: true }),
    send: page.getByRole('button', { name: 'Send' }),
    status: page.locator('#status'),
    history: page.getByRole('list', { name: 'Message history' }),
    bubbles: page.locator('#messages li[data-seq] .msg-body'),
    alert: page.getByRole('alert'),
    jump: page.locator('.jump'),
    searchButton: page.getByRole('button', { name: /^Search messages/ }),
    search: page.getByRole('searchbox', { name: 'Search messages' }),
    results: page.getByRole('list', { name: 'Search results' }),
    menu: page.getByRole('button', { name: 'Session actions' }),
    settings: page.getByRole('button', { name: 'Settings' }),
    toasts: page.locator('#toasts'),
    announcer: page.locator('#announcer'),
  };
}

/** Opens session `id` through the UI (the list panel first, on a phone with a session open) and waits for "Connected". */
export async function openSession(page: Page, id: string): Promise<void> {
  const ui = app(page);
  // Wait for the app to render one or the other before deciding (a check right after goto races the first paint).
  await expect(ui.sessionId.or(ui.sessionsToggle).first()).toBeVisible();
  if (!(await ui.sessionId.isVisible())) await ui.sessionsToggle.click();
  await ui.sessionId.fill(id);
  await ui.open.click();
  await expect(page).toHaveURL(new RegExp(`/s/${id}$`));
  await expect(ui.status).toHaveText('Connected');
}

/**
 * Creates session `id` for this browser context over HTTP (its cookie lands
 * in the context), without opening it: seed its history, then `page.goto`
 * its URL. The server caches a session's last seq on its first connection.
 */
export async function createSession(page: Page, id: string): Promise<void> {
  const res = await page.request.post('/api/sessions', { data: { id } });
  expect(res.status()).toBe(201);
}

/** Sends `text` with Enter and waits for it to be acknowledged (shown with its seq). */
export async function sendMessage(page: Page, text: string): Promise<void> {
  const ui = app(page);
  await ui.message.fill(text);
  await ui.message.press('Enter');
  await expect(ui.bubbles.filter({ hasText: text }).last()).toBeVisible();
}

/** Runs an item of the session menu. */
export async function menuAction(page: Page, name: string): Promise<void> {
  await app(page).menu.click();
  await page.getByRole('link', { name }).or(page.getByRole('button', { name, exact: true })).click();
}

/** Picks a language or theme in the settings menu (by the select's label in the current language). */
export async function setting(page: Page, label: string, value: string): Promise<void> {
  const select = page.getByLabel(label, { exact: true });
  if (!(await select.isVisible())) await page.locator('#settings > button').click();
  await select.selectOption(value);
  await page.keyboard.press('Escape');
}

/** The seqs of the messages the list shows, in DOM order. */
export function shownSeqs(page: Page): Promise<number[]> {
  return page.locator('#messages li[data-seq]').evaluateAll((items) => items.map((li) => Number((li as HTMLElement).dataset.seq)));
}

/** The viewport as the person sees it, saved as test-results/<test>/<name>-<project>.png and attached to the report. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}-${testInfo.project.name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  await testInfo.attach(`${name}-${testInfo.project.name}`, { path, contentType: 'image/png' });
}

/** Runs axe (WCAG 2.x A/AA and best practices) and fails on any serious or critical violation, naming them. */
export async function expectNoSeriousViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `axe, ${state}`).toEqual([]);
}

/** Another browser (its own cookies and storage) at the test's window size: another person, or another device. */
export function otherBrowser(browser: Browser, testInfo: TestInfo, baseURL: string | undefined): Promise<BrowserContext> {
  const { viewport, isMobile, hasTouch, locale, timezoneId } = testInfo.project.use;
  return browser.newContext({ baseURL, viewport, isMobile, hasTouch, locale, timezoneId });
}
