import { readFile } from 'node:fs/promises';
import { app, expect, menuAction, openSession, screenshot, sendMessage, test } from './fixtures.js';

test('the history downloads as NDJSON and as CSV', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'exp');
  const texts = ['hello', 'with "quotes", and a comma', '=1+1'];
  for (const text of texts) await sendMessage(page, text);
  await ui.menu.click();
  await screenshot(page, testInfo, 'session-menu');

  const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download NDJSON' }).click()]);
  expect(ndjson.suggestedFilename()).toBe('exp-history.ndjson');
  const lines = (await readFile((await ndjson.path())!, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; body: string; text: string });
  expect(lines.map((m) => m.seq)).toEqual([1, 2, 3]);
  expect(lines.map((m) => m.body)).toEqual(texts);
  expect(lines[0]!.text).toBe('exp: hello');

  const [csv] = await Promise.all([page.waitForEvent('download'), menuAction(page, 'Download CSV')]);
  expect(csv.suggestedFilename()).toBe('exp-history.csv');
  const rows = (await readFile((await csv.path())!, 'utf8')).trimEnd().split('\n');
  expect(rows[0]).toBe('seq,id,at,body');
  expect(rows).toHaveLength(4);
  expect(rows[2]).toMatch(/^2,[0-9a-f]{32},[^,]+,"with ""quotes"", and a comma"$/);
  // A formula-like cell is neutralised for spreadsheets.
  expect(rows[3]).toMatch(/,'=1\+1$/);
  // Still connected: a download does not leave the page.
  await expect(ui.status).toHaveText('Connected');
});

test('delete asks first in a dialog (Escape and Cancel keep the session), then deletes it for every tab', async ({ page, context }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'doomed');
  await sendMessage(page, 'last words');
  const other = await context.newPage();
  await other.goto('/s/doomed');
  await expect(app(other).status).toHaveText('Connected');

  const dialog = page.getByRole('dialog', { name: 'Delete session doomed?' });
  await menuAction(page, 'Delete session…');
  await expect(dialog).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(1);
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expect(dialog).toContainText('cannot be undone');
  await screenshot(page, testInfo, 'delete-dialog');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(ui.menu).toBeFocused();

  await menuAction(page, 'Delete session…');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles).toHaveText(['last words']);
  expect((await page.request.get('/api/sessions/doomed/messages')).status()).toBe(200);

  await menuAction(page, 'Delete session…');
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Session doomed was deleted.')).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  await expect(ui.history).toBeHidden();
  await expect(ui.sessionId).toBeFocused();
  await expect(ui.recent.getByRole('link', { name: 'doomed' })).toHaveCount(0);
  expect((await page.request.get('/api/sessions/doomed/messages')).status()).toBe(404);
  // The other tab is told, in words.
  await expect(other.getByText('The session was deleted.')).toBeVisible();
  await screenshot(page, testInfo, 'deleted');

  // A reload stays on the start page; going back to the deleted session's URL creates it anew, empty.
  await page.reload();
  await expect(ui.sessionId).toBeVisible();
  await page.goBack();
  await expect(ui.status).toHaveText('Connected');
  await expect(ui.bubbles).toHaveCount(0);
});
