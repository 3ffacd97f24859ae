import type { Page } from '@playwright/test';
import { app, desktopOnly, expect, openSession, screenshot, sendMessage, test } from './fixtures.js';

/** Every frame the page sends on its WebSockets. */
function sentFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => frames.push(String(frame.payload))));
  return frames;
}

test('Enter sends, Shift+Enter adds a line, the box grows to a cap, blank messages are not sent', async ({ page }) => {
  const frames = sentFrames(page);
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'lines');
  await ui.message.fill('line one');
  await ui.message.press('Shift+Enter');
  await ui.message.pressSequentially('line two');
  await expect(ui.message).toHaveValue('line one\nline two');
  await ui.message.press('Enter');
  await expect(ui.bubbles).toHaveText(['line one\nline two']);
  await expect(ui.message).toHaveValue('');
  await expect(ui.message).toBeFocused();

  // Spaces and line breaks only: refused in the app, nothing goes out.
  const before = frames.length;
  await ui.message.fill('   \n  ');
  await expect(ui.send).toBeDisabled();
  await ui.message.press('Enter');
  await expect(ui.bubbles).toHaveCount(1);
  expect(frames.length).toBe(before);

  // 30 lines: the box grows, up to 40% of the window, then scrolls.
  const height = () => ui.message.evaluate((el) => el.getBoundingClientRect().height);
  await ui.message.fill('x');
  const oneLine = await height();
  await ui.message.fill(Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n'));
  const tall = await height();
  const viewport = page.viewportSize()!;
  expect(tall).toBeGreaterThan(oneLine * 3);
  expect(tall).toBeLessThanOrEqual(viewport.height * 0.4 + 1);
  await expect(ui.message).toBeInViewport();
  await expect(ui.send).toBeInViewport();
});

test('a draft is kept per session across reloads and switches, and cleared once sent', async ({ page }) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'draft-a');
  await ui.message.fill('half a thought');
  await openSession(page, 'draft-b');
  await expect(ui.message).toHaveValue('');
  await ui.message.fill('another');
  await page.goBack();
  await expect(page).toHaveURL(/draft-a$/);
  await expect(ui.message).toHaveValue('half a thought');
  await page.reload();
  await expect(ui.message).toHaveValue('half a thought');
  await ui.message.press('Enter');
  await expect(ui.bubbles).toHaveText(['half a thought']);
  await page.reload();
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.message).toHaveValue('');
  await page.goto('/s/draft-b');
  await expect(ui.message).toHaveValue('another');
});

test.describe('with a 200-byte limit', () => {
  test.use({ serverEnv: { MAX_MESSAGE_BYTES: '200' } });

  test("near the limit a counter shows the text's size against it; an over-long message is refused in words", async ({ page }, testInfo) => {
    const frames = sentFrames(page);
    await page.goto('/');
    const ui = app(page);
    await openSession(page, 'limits');
    // The frame around a text takes 65 bytes (JSON and a 32-digit id): 135 are left for the text.
    const counter = page.locator('#composer-counter');
    await ui.message.fill('a');
    await expect(counter).toBeHidden();
    await ui.message.fill('a'.repeat(110));
    await expect(counter).toHaveText('110 / 135 bytes');
    // Accented letters take two bytes each.
    const tooLong = 'é'.repeat(70);
    await ui.message.fill(tooLong);
    await expect(counter).toHaveText('140 / 135 bytes');
    await expect(counter).toHaveClass(/text-danger/);
    await expect(ui.message).toHaveAttribute('aria-invalid', 'true');
    await ui.message.press('Enter');
    await expect(ui.alert).toHaveText('This message is too long: 140 bytes, and the server accepts at most 135. Shorten it by 5 bytes.');
    await expect(ui.message).toHaveValue(tooLong);
    expect(frames.filter((f) => f.includes('"send"'))).toEqual([]);
    await screenshot(page, testInfo, 'composer-too-long');

    // Exactly at the limit is fine: the count is the server's own.
    const fits = 'é'.repeat(67) + 'x';
    await ui.message.fill(fits);
    await expect(counter).toHaveText('135 / 135 bytes');
    await expect(ui.alert).toBeHidden();
    await ui.message.press('Enter');
    await expect(ui.bubbles.last()).toHaveText(fits);
    await expect(ui.status).toHaveText('Connected');
    await sendMessage(page, 'still connected');
  });
});

test.describe('pending messages', () => {
  desktopOnly();

  test('while the server is down a message stays greyed, "sending…", until acknowledged', async ({ page, server }, testInfo) => {
    await page.goto('/');
    const ui = app(page);
    await openSession(page, 'waits');
    await sendMessage(page, 'first');
    await server.stop('SIGTERM');
    await expect(ui.status).toHaveText(/Reconnecting/);
    await ui.message.fill('waiting');
    await ui.message.press('Enter');
    const pending = ui.history.locator('li.pending');
    await expect(pending).toHaveText(/waiting\s*sending…/);
    const colour = (selector: string) => page.locator(selector).first().evaluate((el) => getComputedStyle(el).color);
    expect(await colour('#messages li.pending .bubble')).not.toBe(await colour('#messages li[data-seq] .bubble'));
    await expect(pending.locator('.bubble')).toHaveCSS('font-style', 'italic');
    await screenshot(page, testInfo, 'composer-pending');
    const restarted = await server.restart();
    try {
      await expect(pending).toHaveCount(0, { timeout: 30_000 });
      await expect(ui.bubbles).toHaveText(['first', 'waiting']);
    } finally {
      await restarted.stop();
    }
  });
});
