import { app, expect, registerAndConnect, test } from './fixtures.js';

test('messages typed while the server is down go through once it is back, each shown once', async ({ page, server }) => {
  await page.goto('/');
  const ui = app(page);
  await registerAndConnect(page, 'resilient');
  await ui.message.fill('before');
  await ui.message.press('Enter');
  await expect(ui.history.getByText('resilient: before', { exact: true })).toBeVisible();

  const stopped = await server.stop('SIGTERM');
  expect(stopped.code).toBe(0);
  // The app counts down to its next attempt and keeps the composer open.
  await expect(ui.status).toHaveText(/reconnecting in \d+ s/);
  for (const text of ['while down 1', 'while down 2']) {
    await ui.message.fill(text);
    await ui.message.press('Enter');
  }
  const pending = ui.history.locator('li.pending');
  await expect(pending).toHaveCount(2);
  await expect(pending.first()).toContainText('sending…');

  const restarted = await server.restart();
  try {
    await expect(ui.status).toHaveText('connected', { timeout: 20_000 });
    await expect(pending).toHaveCount(0);
    await expect(ui.history.getByRole('listitem')).toHaveText([
      /resilient: before/,
      /resilient: while down 1/,
      /resilient: while down 2/,
    ]);
    // And the server stored each exactly once.
    await page.reload();
    await expect(ui.status).toHaveText('connected');
    await expect(ui.history.getByRole('listitem')).toHaveText([
      /resilient: before/,
      /resilient: while down 1/,
      /resilient: while down 2/,
    ]);
  } finally {
    await restarted.stop();
  }
});

test('a killed server loses nothing that was acknowledged and the page resumes without duplicates', async ({ page, server }) => {
  await page.goto('/');
  const ui = app(page);
  await registerAndConnect(page, 'killed');
  for (const text of ['one', 'two', 'three']) {
    await ui.message.fill(text);
    await ui.message.press('Enter');
    await expect(ui.history.getByText(`killed: ${text}`, { exact: true })).toBeVisible();
  }
  await server.stop('SIGKILL');
  await expect(ui.status).toHaveText(/reconnecting in \d+ s/);
  await ui.message.fill('four');
  await ui.message.press('Enter');
  const restarted = await server.restart();
  try {
    await expect(ui.history.locator('li.pending')).toHaveCount(0, { timeout: 20_000 });
    await expect(ui.history.getByRole('listitem')).toHaveText([/killed: one/, /killed: two/, /killed: three/, /killed: four/]);
  } finally {
    await restarted.stop();
  }
});

test('two pages of one session stay in sync, in the same order', async ({ page, context }) => {
  await page.goto('/');
  await registerAndConnect(page, 'shared');
  const other = await context.newPage();
  await other.goto('/');
  const first = app(page);
  const second = app(other);
  await expect(second.status).toHaveText('connected');

  await first.message.fill('from the first tab');
  await first.message.press('Enter');
  await expect(second.history.getByText('shared: from the first tab', { exact: true })).toBeVisible();
  await second.message.fill('from the second tab');
  await second.message.press('Enter');
  await expect(first.history.getByText('shared: from the second tab', { exact: true })).toBeVisible();

  const expected = [/shared: from the first tab/, /shared: from the second tab/];
  await expect(first.history.getByRole('listitem')).toHaveText(expected);
  await expect(second.history.getByRole('listitem')).toHaveText(expected);
});
