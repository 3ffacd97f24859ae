import { app, createSession, expect, menuAction, openSession, sendMessage, test } from './fixtures.js';

test('a control is shown only when it can act: before a session, while open, after a delete here and elsewhere', async ({ page, context }) => {
  await page.goto('/');
  const ui = app(page);
  const sessionOnly = [ui.message, ui.send, ui.menu, ui.searchButton, ui.status, page.getByRole('link', { name: 'Download NDJSON' })];
  for (const control of sessionOnly) await expect(control).toBeHidden();
  await expect(ui.sessionId).toBeVisible();

  await openSession(page, 'acting');
  for (const control of [ui.message, ui.menu, ui.searchButton, ui.status]) await expect(control).toBeVisible();
  // Send acts only on something to send.
  await expect(ui.send).toBeDisabled();
  await sendMessage(page, 'one');
  await expect(ui.send).toBeDisabled();

  const other = await context.newPage();
  await other.goto('/s/acting');
  await expect(app(other).status).toHaveText('Connected');

  await menuAction(page, 'Delete session…');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText('Session acting was deleted.')).toBeVisible();
  for (const control of sessionOnly) await expect(control).toBeHidden();

  // The other tab says why, and offers only what can act.
  const theirs = app(other);
  await expect(other.getByRole('heading', { name: 'Session acting is closed' })).toBeVisible();
  await expect(other.getByText('The session was deleted.')).toBeVisible();
  for (const control of [theirs.message, theirs.send, theirs.menu, theirs.searchButton]) await expect(control).toBeHidden();
  await expect(other.getByRole('button', { name: 'Open another session' })).toBeFocused();
});

test('a session in the URL that does not exist any more is forgotten from the list and can be opened anew', async ({ page }) => {
  await createSession(page, 'gone');
  await page.goto('/s/gone');
  const ui = app(page);
  await expect(ui.status).toHaveText('Connected');
  const del = await page.request.delete('/api/sessions/gone');
  expect(del.status()).toBe(204);
  await expect(page.getByRole('heading', { name: 'Session gone is closed' })).toBeVisible();
  await expect(ui.message).toBeHidden();
  // Opening it again creates it anew (a free ID).
  await page.reload();
  await expect(ui.status).toHaveText('Connected');
  await expect(page.getByRole('main')).toContainText('Session gone is new');
});
