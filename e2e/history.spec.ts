import { app, createSession, desktopOnly, expect, screenshot, sendMessage, shownSeqs, test } from './fixtures.js';
import { seedMessages } from './seed.js';

const TOTAL = 100_000;
/** The most message items the list may hold (the window), and all items with day separators. */
const MAX_MESSAGES = 300;
const MAX_ITEMS = 400;

function expectConsecutive(seqs: number[]): void {
  expect(seqs.length).toBeGreaterThan(0);
  seqs.forEach((seq, i) => expect(seq, `item ${i} of ${seqs[0]}..${seqs.at(-1)}`).toBe(seqs[0]! + i));
}

desktopOnly();

test('100,000 messages: scrolling up pages older ones in by cursor, the DOM stays bounded, jump to latest returns', async ({ page, server }, testInfo) => {
  const ui = app(page);
  await createSession(page, 'big');
  seedMessages(server.dbPath, 'big', TOTAL, { stepMs: 45_000 });
  await page.goto('/s/big');
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles.last()).toHaveText('message 100000');
  await expect(ui.jump).toBeHidden();

  const allItems = page.locator('#messages li');
  let first = (await shownSeqs(page))[0]!;
  for (let pageNo = 0; pageNo < 8; pageNo++) {
    // Half of the pages by keyboard (the list is focusable), half by the scroll bar.
    if (pageNo % 2 === 0) {
      await ui.history.focus();
      await page.keyboard.press('Home');
    } else {
      await ui.history.evaluate((list) => (list.scrollTop = 0));
    }
    await expect.poll(async () => (await shownSeqs(page))[0]).toBeLessThan(first);
    const seqs = await shownSeqs(page);
    first = seqs[0]!;
    expectConsecutive(seqs);
    expect(seqs.length).toBeLessThanOrEqual(MAX_MESSAGES);
    expect(await allItems.count()).toBeLessThanOrEqual(MAX_ITEMS);
  }
  // Eight pages of 100 up: the window holds the 300 around the reader, the newest were dropped.
  expect(first).toBe(TOTAL - 899);
  await expect(ui.history.locator(`li[data-seq="${first}"] .msg-body`)).toHaveText(`message ${first}`);
  expect((await shownSeqs(page)).at(-1)).toBeLessThan(TOTAL);
  await expect(ui.jump).toBeVisible();
  await screenshot(page, testInfo, 'history-scrolled-up');

  // Scrolling back down reloads the dropped pages, still without gaps.
  const last = (await shownSeqs(page)).at(-1)!;
  await ui.history.evaluate((list) => (list.scrollTop = list.scrollHeight));
  await expect.poll(async () => (await shownSeqs(page)).at(-1)).toBeGreaterThan(last);
  expectConsecutive(await shownSeqs(page));
  expect(await allItems.count()).toBeLessThanOrEqual(MAX_ITEMS);

  // A live message while the reader is up in the history: not shown in the window, the button stays.
  const other = await page.context().newPage();
  await other.goto('/s/big');
  await expect(app(other).status).toHaveText('Connected');
  await sendMessage(other, 'live while reading');
  await expect(ui.jump).toHaveText('1 new, jump to latest');
  await expect(ui.history.getByText('live while reading')).toHaveCount(0);

  await ui.jump.click();
  await expect(ui.bubbles.last()).toHaveText('live while reading');
  await expect(ui.jump).toBeHidden();
  await expect(ui.message).toBeFocused();
  const newest = await shownSeqs(page);
  expectConsecutive(newest);
  expect(newest.at(-1)).toBe(TOTAL + 1);

  // At the bottom, live echoes append (and the oldest go, so the list stays bounded).
  await sendMessage(page, 'after the jump');
  await expect(ui.bubbles.last()).toHaveText('after the jump');
  expect((await shownSeqs(page)).at(-1)).toBe(TOTAL + 2);
  await expect(ui.history.locator('li[data-seq]').last()).toBeInViewport();
  await screenshot(page, testInfo, 'history-latest');
});
