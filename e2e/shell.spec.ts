import { app, createSession, expect, screenshot, sendMessage, test } from './fixtures.js';
import { seedMessages } from './seed.js';

test('an app shell: with 2,000 messages the newest one and the composer are in view, only the list scrolls', async ({ page, server }, testInfo) => {
  const ui = app(page);
  await createSession(page, 'big');
  seedMessages(server.dbPath, 'big', 2000, { body: (seq) => `message ${seq}` });
  await page.goto('/s/big');
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles.last()).toHaveText('message 2000');
  await expect(ui.bubbles.last()).toBeInViewport();
  await expect(ui.message).toBeInViewport();
  await expect(ui.status).toBeInViewport();
  // The page itself does not scroll: the list does.
  const page_ = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollHeight, client: innerHeight }));
  expect(page_.scroll).toBeLessThanOrEqual(page_.client);
  await screenshot(page, testInfo, 'shell-2000');
  await ui.history.evaluate((list) => (list.scrollTop = 0));
  await expect(ui.status).toBeInViewport();
  await expect(ui.message).toBeInViewport();
  await sendMessage(page, 'hello at the end');
  await expect(ui.bubbles.last()).toBeInViewport();
});
