import { app, desktopOnly, expect, openSession, screenshot, sendMessage, test } from './fixtures.js';

test('no toast for what the person did; opening the open session again changes nothing', async ({ page }) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'calm');
  await sendMessage(page, 'kept');
  await page.reload();
  await expect(ui.status).toHaveText('Connected');
  await openSession(page, 'calm');
  await expect(ui.bubbles).toHaveText(['kept']);
  await expect(ui.toasts.locator('.toast')).toHaveCount(0);
});

test.describe('a lost connection', () => {
  desktopOnly();

  test('is told once, counts down once per attempt, offers "Reconnect now", and says when it is back', async ({ page, server }, testInfo) => {
    test.setTimeout(180_000); // waits for a long backoff, see below
    await page.goto('/');
    const ui = app(page);
    await openSession(page, 'toasty');
    // Every text the status badge shows, in order.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { __status: string[] }).__status = []);
      const badge = document.getElementById('status')!;
      new MutationObserver(() => seen.push(badge.textContent ?? '')).observe(badge, { childList: true, characterData: true, subtree: true });
    });
    await server.stop('SIGTERM');
    await expect(ui.toasts.locator('.toast')).toHaveText(['Connection lost. Reconnecting…']);
    await expect(ui.status).toHaveText(/^Reconnecting in \d+ s$/, { timeout: 30_000 });
    await screenshot(page, testInfo, 'toast-lost');
    const reconnect = page.getByRole('button', { name: 'Reconnect now' });
    // Wait for an attempt whose countdown is long (full jitter makes some short), so the click cannot race it.
    await expect(ui.status).toHaveText(/^Reconnecting in ([5-9]|\d\d+) s$/, { timeout: 120_000 });
    // Within one attempt the countdown only goes down: once this long one has ticked at least once, every
    // value seen so far is checked, and at least one pair of them was compared.
    const statuses = () => page.evaluate(() => (window as unknown as { __status: string[] }).__status);
    const countdownTail = (all: string[]) => {
      let n = 0;
      for (let i = all.length - 1; i >= 0 && /Reconnecting in \d+ s/.test(all[i]!); i--) n++;
      return n;
    };
    await expect.poll(async () => countdownTail(await statuses()), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const seen = await statuses();
    let previous = Number.POSITIVE_INFINITY;
    let compared = 0;
    for (const text of seen) {
      const s = /Reconnecting in (\d+) s/.exec(text)?.[1];
      if (s === undefined) {
        previous = Number.POSITIVE_INFINITY; // a new attempt starts its own count
        continue;
      }
      expect(Number(s)).toBeLessThan(previous);
      if (previous !== Number.POSITIVE_INFINITY) compared++;
      previous = Number(s);
    }
    expect(compared).toBeGreaterThan(0);
    const restarted = await server.restart();
    try {
      // "Reconnect now" does not wait for the countdown.
      await reconnect.click();
      await expect(ui.status).toHaveText('Connected', { timeout: 30_000 });
      await expect(ui.toasts.locator('.toast')).toHaveText(['Connected again.']);
      const toast = ui.toasts.locator('.toast');
      await toast.getByRole('button', { name: 'Close' }).click();
      await expect(toast).toHaveCount(0);
    } finally {
      await restarted.stop();
    }
  });
});

test('toasts never cover the message box or the newest message', async ({ page, server }) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'covered');
  await sendMessage(page, 'newest');
  await server.stop('SIGTERM');
  const toast = ui.toasts.locator('.toast');
  await expect(toast).toBeVisible();
  const box = (await toast.boundingBox())!;
  for (const target of [ui.message, ui.bubbles.last()]) {
    const other = (await target.boundingBox())!;
    const overlaps = box.x < other.x + other.width && other.x < box.x + box.width && box.y < other.y + other.height && other.y < box.y + box.height;
    expect(overlaps).toBe(false);
  }
  await server.restart().then((s) => s.stop());
});
