import { app, createSession, expect, openSession, screenshot, sendMessage, test } from './fixtures.js';

test('Open creates a free ID, rejoins it after a reload, and the URL is the session: deep links, back and forward', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'first');
  // 201: created, said where the list is empty; the focus is where the next action is.
  await expect(page.getByRole('main')).toContainText('Session first is new, created in this browser.');
  await expect(ui.message).toBeFocused();
  await expect(page.locator('#sessions a[aria-current="page"]')).toHaveText('first');
  await sendMessage(page, 'hello');
  await screenshot(page, testInfo, 'opened');

  // 200: a reload rejoins (the HttpOnly cookie proves it), history and all.
  await page.reload();
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles).toHaveText(['hello']);
  await expect(ui.announcer).toContainText('Rejoined session first.');
  // The token never reaches the page's JavaScript.
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toMatch(/[0-9a-f]{64}|[A-Za-z0-9_-]{43}/);

  await openSession(page, 'second');
  await expect(ui.bubbles).toHaveCount(0);
  await page.goBack();
  await expect(page).toHaveURL(/\/s\/first$/);
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles).toHaveText(['hello']);
  await page.goForward();
  await expect(page).toHaveURL(/\/s\/second$/);
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles).toHaveCount(0);

  // A deep link in a new tab of this browser opens it too; the list switches between this browser's sessions.
  const other = await page.context().newPage();
  await other.goto('/s/first');
  await expect(app(other).bubbles).toHaveText(['hello']);
  if (!(await ui.recent.isVisible())) await ui.sessionsToggle.click();
  await expect(ui.recent.getByRole('link')).toHaveText(['second', 'first']);
  await ui.recent.getByRole('link', { name: 'first' }).click();
  await expect(page).toHaveURL(/\/s\/first$/);
  await expect(ui.bubbles).toHaveText(['hello']);
  await expect(ui.message).toBeFocused();
});

test('an ID held by another browser is explained with what to do, and nothing that cannot act is shown', async ({ page, browser, baseURL }, testInfo) => {
  const other = await browser.newContext({ baseURL });
  await createSession(await other.newPage(), 'taken');
  await other.close();

  await page.goto('/s/taken');
  const ui = app(page);
  await expect(page.getByRole('heading', { name: 'Session taken belongs to another browser' })).toBeVisible();
  await expect(page.getByText('Only a browser that holds its key can open it')).toBeVisible();
  for (const control of [ui.message, ui.send, ui.menu, ui.searchButton, ui.status]) await expect(control).toBeHidden();
  const another = page.getByRole('button', { name: 'Open another session' });
  await expect(another).toBeFocused();
  await screenshot(page, testInfo, 'held-elsewhere');
  await another.click();
  await expect(ui.sessionId).toBeFocused();
  await ui.sessionId.fill('mine');
  await ui.open.click();
  await expect(ui.status).toHaveText('Connected');
});

test('an invalid ID is refused in words before any request; an empty one opens a new random session', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto('/');
  const ui = app(page);
  await ui.sessionId.fill('not valid!');
  await ui.open.click();
  await expect(ui.alert).toHaveText('Invalid session ID: a session ID is 1 to 64 characters of A-Z a-z 0-9 _ -.');
  await expect(ui.sessionId).toBeFocused();
  expect(requests.filter((url) => url.includes('/api/'))).toEqual([]);
  await ui.sessionId.fill('');
  await ui.open.click();
  await expect(page).toHaveURL(/\/s\/[A-Za-z0-9_-]{16}$/);
  await expect(ui.status).toHaveText('Connected');

  // The same rule for an ID in the URL.
  await page.goto('/s/bad!id');
  await expect(page.getByRole('heading', { name: 'Could not open session bad!id' })).toBeVisible();
  await expect(page.getByText('Invalid session ID')).toBeVisible();
  await expect(ui.message).toBeHidden();
});

test('message text is shown as text and never runs', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto('/');
  await openSession(page, 'xss');
  const ui = app(page);
  const payload = '<img src=x onerror=alert(1)>';
  await sendMessage(page, payload);
  await expect(ui.bubbles.last()).toHaveText(payload);
  await page.reload();
  await expect(ui.bubbles.last()).toHaveText(payload);
  await expect(ui.history.locator('img')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
