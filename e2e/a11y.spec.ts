import { app, createSession, expect, expectNoSeriousViolations, menuAction, openSession, screenshot, sendMessage, setting, test } from './fixtures.js';

for (const theme of ['light', 'dark'] as const) {
  test(`axe finds no serious or critical violation in any state (${theme})`, async ({ page, browser, baseURL }, testInfo) => {
    // A dozen axe runs on a loaded machine.
    test.setTimeout(240_000);
    const other = await browser.newContext({ baseURL });
    await createSession(await other.newPage(), 'held');
    await other.close();
    await page.goto('/');
    const ui = app(page);
    if (theme === 'dark') await setting(page, 'Theme', 'dark');
    await expectNoSeriousViolations(page, 'no session');
    await page.locator('#settings > button').click();
    await expectNoSeriousViolations(page, 'settings menu open');
    await page.keyboard.press('Escape');

    await ui.sessionId.fill('bad id!');
    await ui.open.click();
    await expectNoSeriousViolations(page, 'an invalid ID');

    await page.goto('/s/held');
    await expect(page.getByRole('heading', { name: /belongs to another browser/ })).toBeVisible();
    await expectNoSeriousViolations(page, 'held elsewhere');

    await page.goto('/');
    await openSession(page, 'axe');
    await expectNoSeriousViolations(page, 'open, empty');
    for (const text of ['first message', 'second message https://example.com', 'مرحبا']) await sendMessage(page, text);
    await expectNoSeriousViolations(page, 'open with messages');
    await ui.menu.click();
    await expectNoSeriousViolations(page, 'session menu open');
    await page.keyboard.press('Escape');
    if (!(await ui.sessionId.isVisible())) {
      await ui.sessionsToggle.click();
      await expectNoSeriousViolations(page, 'sessions panel over the conversation');
      await ui.sessionsToggle.click();
    }

    await ui.searchButton.click();
    await ui.search.fill('message');
    await expect(ui.results.getByRole('listitem')).toHaveCount(2);
    await expectNoSeriousViolations(page, 'search results');
    await ui.results.getByRole('button').first().click();
    await expect(page.locator('#messages .target')).toBeFocused();
    await expectNoSeriousViolations(page, 'a result opened in the history');

    await menuAction(page, 'Delete session…');
    await expect(page.getByRole('dialog')).toBeVisible();
    await expectNoSeriousViolations(page, 'delete dialog open');
    await screenshot(page, testInfo, `a11y-dialog-${theme}`);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(page.getByText('Session axe was deleted.')).toBeVisible();
    await expectNoSeriousViolations(page, 'after a delete');

    await setting(page, 'Language', 'pt-BR');
    await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
    await expectNoSeriousViolations(page, 'Portuguese');
  });
}

test('new messages from elsewhere are read out through a polite live region; opening is announced', async ({ page, context }) => {
  await page.goto('/');
  await openSession(page, 'spoken');
  const live = page.locator('#announcer');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  await expect(live).toContainText('Session spoken is new, created in this browser.');
  const other = await context.newPage();
  await other.goto('/s/spoken');
  await expect(app(other).status).toHaveText('Connected');
  await sendMessage(other, 'from the other tab');
  await expect(live).toContainText('New message: from the other tab');
});
