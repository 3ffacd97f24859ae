import { app, expect, register, screenshots, sendMessage, shownSeqs, test } from './fixtures.js';
import { seedMessages } from './seed.js';

const TOTAL = 100_000;
/** The most message items the list may hold (the window), and all items with day separators. */
const MAX_MESSAGES = 300;
const MAX_ITEMS = 400;

function expectConsecutive(seqs: number[]): void {
  expect(seqs.length).toBeGreaterThan(0);
  seqs.forEach((seq, i) => expect(seq, `item ${i} of ${seqs[0]}..${seqs.at(-1)}`).toBe(seqs[0]! + i));
}

test('100,000 messages: scrolling up pages older ones in by cursor, the DOM stays bounded, jump to latest returns', async ({ page, server }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await register(page, 'big');
  seedMessages(server.dbPath, 'big', TOTAL, { stepMs: 45_000 });
  await ui.connect.click();
  await expect(ui.status).toHaveText('connected');
  await expect(ui.history.locator('li[data-seq]').last()).toHaveText(/big: message 100000/);
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
  await expect(ui.history.locator(`li[data-seq="${first}"] .message-text`)).toHaveText(`big: message ${first}`);
  expect((await shownSeqs(page)).at(-1)).toBeLessThan(TOTAL);
  await expect(ui.jump).toBeVisible();
  await screenshots(page, testInfo, 'history-scrolled-up');

  // Scrolling back down reloads the dropped pages, still without gaps.
  const last = (await shownSeqs(page)).at(-1)!;
  await ui.history.evaluate((list) => (list.scrollTop = list.scrollHeight));
  await expect.poll(async () => (await shownSeqs(page)).at(-1)).toBeGreaterThan(last);
  expectConsecutive(await shownSeqs(page));
  expect(await allItems.count()).toBeLessThanOrEqual(MAX_ITEMS);

  // A live message while the reader is up in the history: not shown in the window, the button stays.
  const other = await page.context().newPage();
  await other.goto('/');
  await expect(app(other).status).toHaveText('connected');
  await sendMessage(other, 'big', 'live while reading');
  await expect(ui.jump).toBeVisible();
  await expect(ui.history.getByText('big: live while reading')).toHaveCount(0);

  await ui.jump.click();
  await expect(ui.history.locator('li[data-seq]').last()).toHaveText(/big: live while reading/);
  await expect(ui.jump).toBeHidden();
  await expect(ui.message).toBeFocused();
  const newest = await shownSeqs(page);
  expectConsecutive(newest);
  expect(newest.at(-1)).toBe(TOTAL + 1);

  // At the bottom, live echoes append (and the oldest go, so the list stays bounded).
  await sendMessage(page, 'big', 'after the jump');
  await expect(ui.history.locator('li[data-seq]').last()).toHaveText(/big: after the jump/);
  expect((await shownSeqs(page)).at(-1)).toBe(TOTAL + 2);
  await expect(ui.history.locator('li[data-seq]').last()).toBeInViewport();
  await screenshots(page, testInfo, 'history-latest');
});

test.describe('in São Paulo', () => {
  test.use({ timezoneId: 'America/Sao_Paulo' });

  test('day separators follow the local day, and times the UI language', async ({ page, server }, testInfo) => {
    await page.goto('/');
    const ui = app(page);
    await register(page, 'days');
    // In UTC these are three days; in São Paulo (UTC-3) two.
    const times = ['2026-03-09T12:00:00Z', '2026-03-10T01:30:00Z', '2026-03-10T15:00:00Z', '2026-03-11T02:59:00Z'].map(Date.parse);
    seedMessages(server.dbPath, 'days', 0, { times });
    await ui.connect.click();
    await expect(ui.status).toHaveText('connected');

    const separators = page.locator('#messages li.day-separator');
    await expect(separators).toHaveText(['Monday, March 9, 2026', 'Tuesday, March 10, 2026']);
    await expect(ui.history.locator('time > span:last-child')).toHaveText(['9:00 AM', '10:30 PM', '12:00 PM', '11:59 PM']);
    // Separators are for the eye; for a screen reader the day's first message carries its day.
    await expect(ui.history.getByRole('listitem')).toHaveCount(4);
    await expect(ui.history.getByRole('listitem').nth(2)).toContainText('Tuesday, March 10, 2026');
    await screenshots(page, testInfo, 'history-days-en');

    await page.getByLabel('Language').selectOption('pt-BR');
    await expect(separators).toHaveText(['segunda-feira, 9 de março de 2026', 'terça-feira, 10 de março de 2026']);
    await expect(page.locator('#messages time > span:last-child')).toHaveText(['09:00', '22:30', '12:00', '23:59']);
    await screenshots(page, testInfo, 'history-days-pt');
  });
});
