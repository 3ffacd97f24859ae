import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { app, expect, registerAndConnect, screenshots, sendMessage, test } from './fixtures.js';

/** Runs axe (WCAG 2.x A/AA and best practices) and fails on any serious or critical violation, naming them. */
async function expectNoSeriousViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `axe, ${state}`).toEqual([]);
}

/** Presses Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would; fails after `max` presses. */
async function tabTo(page: Page, target: Locator, key: 'Tab' | 'Shift+Tab' = 'Tab', max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(key);
  }
  await expect(target).toBeFocused();
}

test('axe finds no serious or critical violation: empty, with messages, search results, a result opened, dialog open', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await expectNoSeriousViolations(page, 'empty');

  await registerAndConnect(page, 'axe');
  for (const text of ['first message', 'second message', 'a third one']) await sendMessage(page, 'axe', text);
  await expectNoSeriousViolations(page, 'connected with messages');

  await ui.search.fill('message');
  await ui.search.press('Enter');
  await expect(ui.results.getByRole('listitem')).toHaveCount(2);
  await expectNoSeriousViolations(page, 'search results');
  await ui.results.getByRole('button').first().click();
  await expect(page.locator('.message-target')).toBeFocused();
  await expectNoSeriousViolations(page, 'a result opened in the history');

  await page.getByRole('button', { name: 'Delete session…' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expectNoSeriousViolations(page, 'delete dialog open');
  await screenshots(page, testInfo, 'a11y-dialog');
});

test('axe finds no serious or critical violation in dark mode and in Portuguese', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await page.getByLabel('Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-bs-theme', 'dark');
  await expectNoSeriousViolations(page, 'dark, empty');

  await registerAndConnect(page, 'dark');
  for (const text of ['first message', 'second message']) await sendMessage(page, 'dark', text);
  await ui.search.fill('second');
  await ui.search.press('Enter');
  await expect(ui.results.getByRole('listitem')).toHaveCount(1);
  await ui.results.getByRole('button').first().click();
  await expectNoSeriousViolations(page, 'dark, with messages, search results and a result opened');
  await page.getByRole('button', { name: 'Delete session…' }).click();
  await expectNoSeriousViolations(page, 'dark, dialog open');
  await screenshots(page, testInfo, 'a11y-dark-dialog');
  await page.keyboard.press('Escape');

  await page.getByLabel('Language').selectOption('pt-BR');
  await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
  await expectNoSeriousViolations(page, 'Portuguese, dark');
  await page.getByLabel('Tema').selectOption('light');
  await expectNoSeriousViolations(page, 'Portuguese, light');
});

test('everything works from the keyboard alone, and new messages are announced', async ({ page, context }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  // The first Tab offers a way past the header.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to the message box' })).toBeFocused();

  await tabTo(page, ui.sessionId);
  await page.keyboard.type('keys');
  await page.keyboard.press('Enter'); // submits the session form: Register
  await expect(page.getByText('Session keys is registered')).toBeVisible();
  await tabTo(page, ui.connect);
  await page.keyboard.press('Enter');
  await expect(ui.status).toHaveText('connected');

  await tabTo(page, ui.message);
  await page.keyboard.type('typed with keys');
  await page.keyboard.press('Enter');
  await expect(ui.history.getByText('keys: typed with keys', { exact: true })).toBeVisible();
  await expect(ui.message).toBeFocused();

  // The history list is focusable, so it scrolls with the keyboard.
  await tabTo(page, ui.history, 'Shift+Tab', 3);

  await tabTo(page, ui.search);
  await page.keyboard.type('typed');
  await page.keyboard.press('Enter');
  const result = ui.results.getByRole('button').first();
  await expect(result).toBeVisible();
  await tabTo(page, result);
  await page.keyboard.press('Enter');
  await expect(ui.history.locator('li[data-seq="1"]')).toBeFocused();

  const deleteButton = page.getByRole('button', { name: 'Delete session…' });
  await tabTo(page, deleteButton, 'Shift+Tab', 5);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  // The focus stays inside the modal dialog.
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Delete', exact: true })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(deleteButton).toBeFocused();

  // A message from elsewhere is read out through the live region.
  const other = await context.newPage();
  await other.goto('/');
  await expect(app(other).status).toHaveText('connected');
  await sendMessage(other, 'keys', 'from the other tab');
  const live = page.locator('#announcer');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  await expect(live).toContainText('New message: keys: from the other tab');
  await screenshots(page, testInfo, 'keyboard');
});
