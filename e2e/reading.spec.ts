import { app, createSession, expect, openSession, screenshot, sendMessage, test } from './fixtures.js';
import { seedMessages } from './seed.js';

test('a reader scrolled up stays put; new messages are counted on the jump button and marked with a divider', async ({ page, context, server }, testInfo) => {
  await createSession(page, 'read');
  seedMessages(server.dbPath, 'read', 200, { body: (seq) => `old ${seq}` });
  await page.goto('/s/read');
  const ui = app(page);
  await expect(ui.bubbles.last()).toHaveText('old 200');
  const other = await context.newPage();
  await other.goto('/s/read');
  await expect(app(other).status).toHaveText('Connected');

  // At the bottom: a new message comes into view.
  await sendMessage(other, 'while at the bottom');
  await expect(ui.bubbles.last()).toHaveText('while at the bottom');
  await expect(ui.bubbles.last()).toBeInViewport();

  // 100 px up (within what used to pull the reader down): the place is kept.
  await ui.history.evaluate((list) => (list.scrollTop = list.scrollHeight - list.clientHeight - 100));
  const top = await ui.history.evaluate((list) => list.scrollTop);
  await sendMessage(other, 'news 1');
  await sendMessage(other, 'news 2');
  await expect(ui.jump).toHaveText('2 new, jump to latest');
  expect(await ui.history.evaluate((list) => list.scrollTop)).toBe(top);
  await expect(ui.history.locator('.new-divider')).toHaveText('New messages');
  // The divider is right before the first new message.
  expect(await ui.history.locator('.new-divider + li .msg-body').textContent()).toBe('news 1');
  await screenshot(page, testInfo, 'reading-new');
  await ui.jump.click();
  await expect(ui.bubbles.last()).toBeInViewport();
  await expect(ui.jump).toBeHidden();
  await expect(ui.message).toBeFocused();

  // What this tab sent is marked as its own, what came from elsewhere is not; also after a reload.
  await sendMessage(page, 'mine');
  await expect(ui.history.locator('li.msg.mine .msg-body')).toHaveText(['mine']);
  await expect(ui.history.locator('li.mine').getByText('You:')).toHaveCount(1);
  await page.reload();
  await expect(ui.history.locator('li.msg.mine .msg-body')).toHaveText(['mine']);
  await expect(app(other).history.locator('li.msg.mine')).toHaveCount(3);
});

test('a slow history shows a loading state, never "No messages yet"', async ({ page, server }) => {
  await createSession(page, 'slow');
  seedMessages(server.dbPath, 'slow', 30);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/sessions/slow/messages*', async (route) => {
    await released;
    await route.continue();
  });
  await page.goto('/s/slow');
  const ui = app(page);
  await expect(page.getByText('Loading messages…')).toBeVisible();
  await expect(page.getByText('No messages yet')).toHaveCount(0);
  release();
  await expect(ui.bubbles).toHaveCount(30);
  await expect(page.getByText('Loading messages…')).toBeHidden();
});

test('text direction follows the content, links are links, a very long message is folded', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'texts');
  await sendMessage(page, 'مرحبا بالعالم');
  await sendMessage(page, 'שלום עולם');
  await sendMessage(page, 'left to right');
  const direction = (text: string) => ui.bubbles.filter({ hasText: text }).evaluate((el) => getComputedStyle(el).direction);
  expect(await direction('مرحبا')).toBe('rtl');
  expect(await direction('שלום')).toBe('rtl');
  expect(await direction('left to right')).toBe('ltr');
  await expect(ui.bubbles.filter({ hasText: 'שלום' })).toHaveAttribute('dir', 'auto');

  await sendMessage(page, 'see https://example.com/a?b=1, and javascript:alert(1) or <a href="x">x</a>.');
  const links = ui.history.getByRole('link');
  await expect(links).toHaveCount(1);
  await expect(links).toHaveText('https://example.com/a?b=1');
  await expect(links).toHaveAttribute('href', 'https://example.com/a?b=1');
  await expect(links).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(links).toHaveAttribute('target', '_blank');
  await expect(ui.bubbles.last()).toHaveText('see https://example.com/a?b=1, and javascript:alert(1) or <a href="x">x</a>.');

  const long = Array.from({ length: 400 }, (_, i) => `word${i} lorem ipsum`).join(' '); // about 10 KB
  await ui.message.fill(long);
  await ui.message.press('Enter');
  const bubble = ui.history.locator('li.msg').filter({ hasText: 'word0 lorem' });
  const more = bubble.getByRole('button', { name: 'Show more' });
  await expect(more).toBeVisible();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  const folded = await bubble.locator('.msg-body').evaluate((el) => el.getBoundingClientRect().height);
  expect(folded).toBeLessThan(page.viewportSize()!.height / 2);
  await screenshot(page, testInfo, 'reading-texts');
  await more.click();
  await expect(bubble.getByRole('button', { name: 'Show less' })).toHaveAttribute('aria-expanded', 'true');
  expect(await bubble.locator('.msg-body').evaluate((el) => el.getBoundingClientRect().height)).toBeGreaterThan(folded * 2);
});
