import type { Page } from '@playwright/test';
import { app, expect, registerAndConnect, screenshots, sendMessage, test } from './fixtures.js';

/** UTF-8 bytes of the frame the app sends for `text` (its client ids are 32 hex digits). */
const frameBytes = (text: string) => Buffer.byteLength(JSON.stringify({ type: 'send', id: '0'.repeat(32), text }));

/** Every frame the page sends on its WebSockets. */
function sentFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => frames.push(String(frame.payload))));
  return frames;
}

test('Enter sends, Shift+Enter adds a line; pending messages are greyed until acknowledged', async ({ page, server }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await registerAndConnect(page, 'lines');
  await expect(ui.message).toHaveJSProperty('tagName', 'TEXTAREA');
  await ui.message.fill('line one');
  await ui.message.press('Shift+Enter');
  await ui.message.pressSequentially('line two');
  await expect(ui.message).toHaveValue('line one\nline two');
  await ui.message.press('Enter');
  await expect(ui.history.locator('li[data-seq] .message-text')).toHaveText(['lines: line one\nline two']);
  await expect(ui.message).toHaveValue('');
  await expect(ui.message).toBeFocused();
  // Enter on an empty box sends nothing.
  await ui.message.press('Enter');
  await expect(ui.history.getByRole('listitem')).toHaveCount(1);

  await server.stop('SIGTERM');
  await expect(ui.status).toHaveText(/reconnecting/);
  await ui.message.fill('waiting');
  await ui.message.press('Enter');
  const pending = ui.history.locator('li.pending');
  await expect(pending).toHaveText(/lines: waiting\s*sending…/);
  // Greyed: a lighter text colour and italics, yet readable.
  const colour = (selector: string) => page.locator(selector).first().evaluate((el) => getComputedStyle(el).color);
  expect(await colour('#messages li.pending')).not.toBe(await colour('#messages li[data-seq]'));
  await expect(pending).toHaveCSS('font-style', 'italic');
  await screenshots(page, testInfo, 'composer-pending');
  const restarted = await server.restart();
  try {
    await expect(pending).toHaveCount(0, { timeout: 20_000 });
    await expect(ui.history.locator('li[data-seq]').last()).toHaveText(/lines: waiting/);
  } finally {
    await restarted.stop();
  }
});

test.describe('with a 200-byte limit', () => {
  test.use({ serverEnv: { MAX_MESSAGE_BYTES: '200' } });

  test('the counter measures the frame against the server limit, and an over-long message is refused in words', async ({ page }, testInfo) => {
    const frames = sentFrames(page);
    await page.goto('/');
    const ui = app(page);
    await registerAndConnect(page, 'limits');
    const counter = page.locator('#message-counter');
    await expect(counter).toHaveText('0 / 200 bytes');
    await ui.message.fill('hello');
    await expect(counter).toHaveText(`${frameBytes('hello')} / 200 bytes`);

    // Accented letters take two bytes each: 75 of them are over the limit.
    const tooLong = 'é'.repeat(75);
    const bytes = frameBytes(tooLong);
    expect(bytes).toBeGreaterThan(200);
    await ui.message.fill(tooLong);
    await expect(counter).toHaveText(`${bytes} / 200 bytes`);
    await expect(counter).toHaveClass(/text-danger/);
    await expect(ui.message).toHaveAttribute('aria-invalid', 'true');
    await ui.message.press('Enter');
    await expect(ui.alert).toHaveText(
      `This message is too long: ${bytes} bytes, and the server accepts at most 200. Shorten it by ${bytes - 200} bytes.`,
    );
    await expect(ui.message).toHaveValue(tooLong);
    await expect(ui.history.getByRole('listitem')).toHaveCount(0);
    expect(frames).toEqual([]);
    await screenshots(page, testInfo, 'composer-too-long');

    // Exactly at the limit is fine: the count is the server's own.
    const fits = 'é'.repeat(Math.floor((200 - frameBytes('')) / 2)) + (frameBytes('') % 2 === 0 ? '' : 'x');
    expect(frameBytes(fits)).toBe(200);
    await ui.message.fill(fits);
    await expect(counter).toHaveText('200 / 200 bytes');
    await expect(ui.alert).toBeHidden();
    await ui.message.press('Enter');
    await expect(ui.history.getByText(`limits: ${fits}`, { exact: true })).toBeVisible();
    await expect(ui.status).toHaveText('connected');
    await sendMessage(page, 'limits', 'still connected');
  });
});

test('connecting to a session nobody registered is explained', async ({ page }) => {
  await page.goto('/');
  const ui = app(page);
  await ui.sessionId.fill('nobody');
  await ui.connect.click();
  await expect(ui.alert).toHaveText('No session with that ID. Register it first.');
  await expect(ui.status).toHaveText('error: No session with that ID. Register it first.');
});
