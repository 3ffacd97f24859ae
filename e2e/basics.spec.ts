import { app, expect, registerAndConnect, test } from './fixtures.js';

test('register, connect, send: the echo is shown, and a reload shows the history', async ({ page }) => {
  await page.goto('/');
  const ui = app(page);
  await expect(ui.status).toHaveText('disconnected');
  await registerAndConnect(page, '0101');

  await ui.message.fill('hello');
  await ui.send.click();
  await expect(ui.history.getByText('0101: hello', { exact: true })).toBeVisible();

  // Enter sends too.
  await ui.message.fill('second');
  await ui.message.press('Enter');
  await expect(ui.history.getByText('0101: second', { exact: true })).toBeVisible();

  await page.reload();
  await expect(ui.status).toHaveText('connected');
  await expect(ui.sessionId).toHaveValue('0101');
  await expect(ui.history.getByRole('listitem')).toHaveText([/0101: hello/, /0101: second/]);
});

test('message text is shown as text and never runs', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto('/');
  await registerAndConnect(page, 'xss');
  const ui = app(page);
  const payload = '<img src=x onerror=alert(1)>';
  await ui.message.fill(payload);
  await ui.message.press('Enter');
  await expect(ui.history.getByText(`xss: ${payload}`, { exact: true })).toBeVisible();
  await expect(ui.history.locator('img')).toHaveCount(0);

  // Also when it comes back from the history API.
  await page.reload();
  await expect(ui.history.getByText(`xss: ${payload}`, { exact: true })).toBeVisible();
  await expect(ui.history.locator('img')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});

test('an invalid ID shows a clear error and sends nothing', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto('/');
  const ui = app(page);
  await ui.sessionId.fill('not valid!');
  await ui.register.click();
  await expect(ui.alert).toHaveText(/Invalid session ID: a session ID is 1 to 64 characters of A-Z a-z 0-9 _ -/);
  expect(requests.filter((url) => url.includes('/api/'))).toEqual([]);
});

test('an ID held by someone else is refused with a clear error', async ({ page, browser, baseURL }) => {
  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await otherPage.goto('/');
  await registerAndConnect(otherPage, 'taken');
  await other.close();

  await page.goto('/');
  const ui = app(page);
  await ui.sessionId.fill('taken');
  await ui.register.click();
  await expect(ui.alert).toHaveText(/session ID "taken" is taken/);
  await ui.connect.click();
  await expect(ui.alert).toHaveText(/does not hold the token/);
  await expect(ui.status).toHaveText(/error/);
});

test('an empty ID registers a generated one', async ({ page }) => {
  await page.goto('/');
  const ui = app(page);
  await ui.register.click();
  await expect(page.getByText(/Session [A-Za-z0-9_-]{16} is registered/)).toBeVisible();
  await expect(ui.sessionId).toHaveValue(/^[A-Za-z0-9_-]{16}$/);
});
