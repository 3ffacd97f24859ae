import { readFile } from 'node:fs/promises';
import { app, expect, registerAndConnect, screenshots, sendMessage, test } from './fixtures.js';

test('the history downloads as NDJSON and as CSV', async ({ page }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await expect(page.getByRole('link', { name: 'Download NDJSON' })).toBeHidden();
  await registerAndConnect(page, 'exp');
  const texts = ['hello', 'with "quotes", and a comma', '=1+1'];
  for (const text of texts) await sendMessage(page, 'exp', text);
  await screenshots(page, testInfo, 'export-buttons');

  const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download NDJSON' }).click()]);
  expect(ndjson.suggestedFilename()).toBe('exp-history.ndjson');
  const lines = (await readFile((await ndjson.path())!, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; body: string; text: string });
  expect(lines.map((m) => m.seq)).toEqual([1, 2, 3]);
  expect(lines.map((m) => m.body)).toEqual(texts);
  expect(lines[0]!.text).toBe('exp: hello');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(csv.suggestedFilename()).toBe('exp-history.csv');
  const rows = (await readFile((await csv.path())!, 'utf8')).trimEnd().split('\n');
  expect(rows[0]).toBe('seq,id,at,body');
  expect(rows).toHaveLength(4);
  expect(rows[2]).toMatch(/^2,[0-9a-f]{32},[^,]+,"with ""quotes"", and a comma"$/);
  // A formula-like cell is neutralised for spreadsheets.
  expect(rows[3]).toMatch(/,'=1\+1$/);
  // Still connected: a download does not leave the page.
  await expect(ui.status).toHaveText('connected');
});

test('delete asks first in a dialog (Escape and Cancel keep the session), then deletes it for every tab', async ({ page, context }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await registerAndConnect(page, 'doomed');
  await sendMessage(page, 'doomed', 'last words');
  const other = await context.newPage();
  await other.goto('/');
  await expect(app(other).status).toHaveText('connected');

  const deleteButton = page.getByRole('button', { name: 'Delete session…' });
  const dialog = page.getByRole('dialog', { name: 'Delete session doomed?' });
  await deleteButton.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expect(dialog).toContainText('cannot be undone');
  await screenshots(page, testInfo, 'delete-dialog');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(deleteButton).toBeFocused();

  await deleteButton.click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(ui.status).toHaveText('connected');
  await expect(ui.history.getByText('doomed: last words')).toBeVisible();
  expect((await page.request.get('/api/sessions/doomed/messages')).status()).toBe(200);

  await deleteButton.click();
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Session doomed was deleted.').first()).toBeVisible();
  await expect(ui.status).toHaveText('disconnected');
  await expect(ui.history.getByRole('listitem')).toHaveCount(0);
  await expect(ui.alert).toBeHidden();
  await expect(ui.sessionId).toBeFocused();
  expect((await page.request.get('/api/sessions/doomed/messages')).status()).toBe(404);
  // The other tab is told, in words.
  await expect(app(other).status).toHaveText('error: the session was deleted');
  await screenshots(page, testInfo, 'deleted');

  // A reload does not try to reconnect to the deleted session.
  await page.reload();
  await expect(ui.status).toHaveText('disconnected');
});
