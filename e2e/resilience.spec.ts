import { app, desktopOnly, expect, openSession, sendMessage, test } from './fixtures.js';

desktopOnly();

test('messages typed while the server is down go through once it is back, each shown and stored once', async ({ page, server }) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'resilient');
  await sendMessage(page, 'before');

  const stopped = await server.stop('SIGTERM');
  expect(stopped.code).toBe(0);
  // The app counts down to its next attempt and keeps the composer open.
  await expect(ui.status).toHaveText(/Reconnecting/);
  for (const text of ['while down 1', 'while down 2']) {
    await ui.message.fill(text);
    await ui.message.press('Enter');
  }
  const pending = ui.history.locator('li.pending');
  await expect(pending).toHaveCount(2);
  await expect(pending.first()).toContainText('sending…');

  const restarted = await server.restart();
  try {
    await expect(ui.status).toHaveText('Connected', { timeout: 30_000 });
    await expect(pending).toHaveCount(0);
    const expected = ['before', 'while down 1', 'while down 2'];
    await expect(ui.bubbles).toHaveText(expected);
    await page.reload();
    await expect(ui.status).toHaveText('Connected');
    await expect(ui.bubbles).toHaveText(expected);
  } finally {
    await restarted.stop();
  }
});

test('a killed server loses nothing that was acknowledged, and the page resumes without duplicates', async ({ page, server }) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'killed');
  for (const text of ['one', 'two', 'three']) await sendMessage(page, text);
  await server.stop('SIGKILL');
  await expect(ui.status).toHaveText(/Reconnecting/);
  await ui.message.fill('four');
  await ui.message.press('Enter');
  await expect(ui.history.locator('li.pending')).toHaveCount(1);
  const restarted = await server.restart();
  try {
    await expect(ui.history.locator('li.pending')).toHaveCount(0, { timeout: 30_000 });
    await expect(ui.bubbles).toHaveText(['one', 'two', 'three', 'four']);
    await page.reload();
    await expect(ui.bubbles).toHaveText(['one', 'two', 'three', 'four']);
  } finally {
    await restarted.stop();
  }
});

test('two pages of one session stay in sync, in the same order', async ({ page, context }) => {
  await page.goto('/');
  await openSession(page, 'shared');
  const other = await context.newPage();
  await other.goto('/s/shared');
  const first = app(page);
  const second = app(other);
  await expect(second.status).toHaveText('Connected');
  await sendMessage(page, 'from the first tab');
  await expect(second.bubbles).toHaveText(['from the first tab']);
  await sendMessage(other, 'from the second tab');
  const expected = ['from the first tab', 'from the second tab'];
  await expect(first.bubbles).toHaveText(expected);
  await expect(second.bubbles).toHaveText(expected);
});
