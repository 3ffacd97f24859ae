import { app, createSession, expect, openSession, screenshot, shownSeqs, test } from './fixtures.js';
import { seedMessages } from './seed.js';

test('search finds messages, marks the matches, and a result opens the message in its place', async ({ page, server }, testInfo) => {
  const ui = app(page);
  await createSession(page, 'finder');
  const body = (seq: number) =>
    seq === 500
      ? '<b>needle</b> in <img src=x onerror=alert(1)> markup'
      : seq % 250 === 0
        ? `the needle number ${seq}`
        : seq === 1499
          ? `${'hay '.repeat(30)}thread${' hay'.repeat(30)}`
          : `hay ${seq}`;
  seedMessages(server.dbPath, 'finder', 2000, { body });
  await page.goto('/s/finder');
  await expect(ui.status).toHaveText('Connected');
  await ui.searchButton.click();

  await ui.search.fill('needle');
  await ui.search.press('Enter');
  const results = ui.results.getByRole('listitem');
  await expect(results).toHaveCount(8);
  await expect(page.getByText('Results for “needle”: 8')).toBeVisible();
  // Each match is a <mark>; the snippet is text, never markup.
  await expect(ui.results.locator('mark')).toHaveCount(8);
  for (const mark of await ui.results.locator('mark').all()) await expect(mark).toHaveText(/^needle$/i);
  await expect(ui.results.locator('b, img')).toHaveCount(0);
  await expect(ui.results.getByText(/<b>/)).toHaveCount(1);
  await screenshot(page, testInfo, 'search-results');

  // Open "the needle number 250": the history moves to it, marks it and puts the focus on it.
  await ui.results.getByRole('button', { name: /needle number 250\b/ }).click();
  const target = ui.history.locator('li[data-seq="250"]');
  await expect(target).toHaveClass(/target/);
  await expect(target).toBeFocused();
  await expect(target).toBeInViewport();
  await expect(target.locator('.msg-body')).toHaveText('the needle number 250');
  const seqs = await shownSeqs(page);
  expect(seqs[0]).toBeLessThan(250);
  expect(seqs.at(-1)).toBeGreaterThan(250);
  seqs.forEach((seq, i) => expect(seq).toBe(seqs[0]! + i));
  await expect(ui.jump).toBeVisible();
  await screenshot(page, testInfo, 'search-opened');
  // On a phone the panel made way for the message; open it again.
  if (await ui.search.isHidden()) await ui.searchButton.click();

  // Scrolling from there pages in context both ways.
  await ui.history.evaluate((list) => (list.scrollTop = 0));
  await expect.poll(async () => (await shownSeqs(page))[0]).toBeLessThan(seqs[0]!);

  // A long message shows a window around the match, with an ellipsis where text was left out.
  await ui.search.fill('thread');
  await ui.search.press('Enter');
  await expect(results).toHaveCount(1);
  await expect(results.first().locator('.msg-body')).toHaveText(/^…(hay )+thread( hay)+…$/);
  await expect(results.first().locator('mark')).toHaveText('thread');

  // Nothing matches: said in words.
  await ui.search.fill('zebra');
  await ui.search.press('Enter');
  await expect(page.getByText('No message matches “zebra”.')).toBeVisible();
  await expect(results).toHaveCount(0);
});

test('more results page in, and the search follows the open session', async ({ page, server }) => {
  const ui = app(page);
  await createSession(page, 'many');
  seedMessages(server.dbPath, 'many', 60, { body: (seq) => `apple ${seq}` });
  await page.goto('/s/many');
  await expect(ui.status).toHaveText('Connected');
  await ui.searchButton.click();
  // Typing searches after a short pause, no Enter needed.
  await ui.search.fill('appl');
  await expect(ui.results.getByRole('listitem')).toHaveCount(20);
  await expect(page.getByText('Results for “appl”: 20+')).toBeVisible();
  await page.getByRole('button', { name: 'More results' }).click();
  await expect(ui.results.getByRole('listitem')).toHaveCount(40);
  await page.getByRole('button', { name: 'More results' }).click();
  await expect(ui.results.getByRole('listitem')).toHaveCount(60);
  await expect(page.getByRole('button', { name: 'More results' })).toBeHidden();
  await expect(page.getByText('Results for “appl”: 60')).toBeVisible();

  // Another session: the search starts again, empty.
  await page.keyboard.press('Escape');
  await openSession(page, 'other');
  await ui.searchButton.click();
  await expect(ui.search).toHaveValue('');
  await expect(ui.results).toBeHidden();
});
