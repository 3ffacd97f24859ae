import { app, expect, menuAction, openSession, screenshot, sendMessage, test } from './fixtures.js';

test('the focus goes where the next action is, and shortcuts open the search', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  // No messages yet: the empty list is not a tab stop.
  await openSession(page, 'keys');
  await expect(ui.message).toBeFocused();
  await expect(ui.history).not.toHaveAttribute('tabindex');
  await sendMessage(page, 'typed with keys');
  await expect(ui.message).toBeFocused();
  await expect(ui.history).toHaveAttribute('tabindex', '0');

  // "/" (outside a text field) and Ctrl+K open the search with the focus in it; Escape closes it back to the message box.
  await ui.history.focus();
  await page.keyboard.press('/');
  await expect(ui.search).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(ui.search).toBeHidden();
  await expect(ui.message).toBeFocused();
  await page.keyboard.press('Control+k');
  await expect(ui.search).toBeFocused();
  await page.keyboard.type('typed');
  const result = ui.results.getByRole('button').first();
  await expect(result).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(result).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(ui.history.locator('li[data-seq="1"]')).toBeFocused();
  await page.keyboard.press('Escape');

  // The dialog keeps the focus inside (Tab cycles), a click outside cancels, and the focus returns to the menu.
  await menuAction(page, 'Delete session…');
  const dialog = page.getByRole('dialog');
  const cancel = dialog.getByRole('button', { name: 'Cancel' });
  const confirm = dialog.getByRole('button', { name: 'Delete', exact: true });
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(confirm).toBeFocused();
  await screenshot(page, testInfo, 'focus-dialog');
  await page.mouse.click(5, page.viewportSize()!.height - 5);
  await expect(dialog).toBeHidden();
  await expect(ui.menu).toBeFocused();
  await expect(ui.status).toHaveText('Connected');

  // After a delete, the next action is opening another session.
  await menuAction(page, 'Delete session…');
  await confirm.click();
  await expect(ui.sessionId).toBeFocused();
});
