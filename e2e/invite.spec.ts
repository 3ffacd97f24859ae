import type { Page } from '@playwright/test';
import { app, expect, expectNoSeriousViolations, menuAction, openSession, otherBrowser, screenshot, sendMessage, setting, test } from './fixtures.js';

/** The invite link of the open session, from the Invite dialog (closed again with Escape). */
async function inviteLink(page: Page): Promise<string> {
  await menuAction(page, 'Invite…');
  const dialog = page.getByRole('dialog', { name: /^Invite to / });
  await expect(dialog).toBeVisible();
  const link = await dialog.getByLabel('Invite link').inputValue();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  return link;
}

const presence = (page: Page) => page.locator('#presence');

// Two or three browsers and several axe runs each, on a loaded machine.
test.beforeEach(() => test.setTimeout(240_000));

test('an invite link opened in another browser joins and sees the messages; its token leaves the URL, the history, requests and logs', async ({
  page,
  context,
  browser,
  baseURL,
  server,
}, testInfo) => {
  const logs: string[] = [];
  server.child.stdout!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'team');
  await sendMessage(page, 'hello from A');
  await expect(presence(page)).toHaveText('1 here');

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await menuAction(page, 'Invite…');
  const dialog = page.getByRole('dialog', { name: 'Invite to team' });
  await expect(dialog).toBeVisible();
  const copy = dialog.getByRole('button', { name: 'Copy link' });
  await expect(copy).toBeFocused();
  const link = await dialog.getByLabel('Invite link').inputValue();
  expect(link).toMatch(new RegExp(`^${baseURL}/s/team#invite=[A-Za-z0-9_-]{43}$`));
  const token = link.slice(link.indexOf('=') + 1);
  await copy.click();
  await expect(dialog.getByRole('status')).toHaveText('Link copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await expectNoSeriousViolations(page, 'invite dialog');
  await screenshot(page, testInfo, 'invite-dialog');
  // Tab stays in the dialog; Escape closes it and gives the focus back to the menu.
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  await expect(dialog.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(ui.menu).toBeFocused();

  // Another browser (no cookie of this session) opens the link.
  const second = await otherBrowser(browser, testInfo, baseURL);
  const guest = await second.newPage();
  const urls: string[] = [];
  guest.on('request', (request) => urls.push(request.url()));
  guest.on('websocket', (socket) => urls.push(socket.url()));
  await guest.goto('/');
  await guest.goto(link);
  await expect(app(guest).status).toHaveText('Connected');
  await expect(app(guest).bubbles).toHaveText(['hello from A']);
  expect(guest.url()).toBe(`${baseURL}/s/team`);
  expect(await guest.evaluate(() => location.hash)).toBe('');
  await expect(presence(guest)).toHaveText('2 here');
  await expect(presence(page)).toHaveText('2 here');
  await expectNoSeriousViolations(guest, 'joined by invite');
  await screenshot(guest, testInfo, 'invited');

  // The history entry holds the session's URL, never the fragment: back and forward, then a reload, rejoin with the cookie.
  await guest.goBack();
  await expect(guest).toHaveURL(`${baseURL}/`);
  await guest.goForward();
  await expect(guest).toHaveURL(`${baseURL}/s/team`);
  await expect(app(guest).status).toHaveText('Connected');
  await guest.reload();
  await expect(app(guest).status).toHaveText('Connected');
  expect(guest.url()).toBe(`${baseURL}/s/team`);
  await sendMessage(guest, 'hello from B');
  await expect(ui.bubbles.filter({ hasText: 'hello from B' })).toBeVisible();

  // The token went out only in a header: never in a URL the browser requested, never in a log line.
  expect(urls.some((url) => url.includes('/ws/team'))).toBe(true); // the WebSocket URL was among those checked
  expect(urls.filter((url) => url.includes(token))).toEqual([]);

  // The count is said in the UI's language, and follows a switch.
  await setting(page, 'Language', 'pt-BR');
  await expect(presence(page)).toHaveText('2 aqui');
  await second.close();
  await expect(presence(page)).toHaveText('1 aqui');
  expect(logs.join('')).toContain('"session":"team"');
  expect(logs.join('')).not.toContain(token);
});

test('revoke: the other browser is disconnected and cannot rejoin, the old link stops working, this browser stays', async ({ page, browser, baseURL }, testInfo) => {
  await page.goto('/');
  const ui = app(page);
  await openSession(page, 'keys');
  const link = await inviteLink(page);
  const second = await otherBrowser(browser, testInfo, baseURL);
  const guest = await second.newPage();
  await guest.goto(link);
  await expect(app(guest).status).toHaveText('Connected');
  await expect(presence(page)).toHaveText('2 here');

  const dialog = page.getByRole('dialog', { name: 'Revoke access to keys?' });
  await menuAction(page, 'Revoke invite links…');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectNoSeriousViolations(page, 'revoke dialog');
  await screenshot(page, testInfo, 'revoke-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(ui.menu).toBeFocused();
  await expect(app(guest).status).toHaveText('Connected');

  await menuAction(page, 'Revoke invite links…');
  await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Invite links to keys revoked.')).toBeVisible();
  await expect(ui.menu).toBeFocused();

  // The other browser's socket was closed (4002) and reconnecting is refused: it says so, in words.
  await expect(guest.getByRole('heading', { name: 'Session keys is closed' })).toBeVisible();
  await expect(guest.getByText('Access to this session was revoked. Ask for a new invite link.')).toBeVisible();
  await expect(app(guest).message).toBeHidden();
  await expectNoSeriousViolations(guest, 'revoked');
  await screenshot(guest, testInfo, 'revoked');
  // Its cookie no longer opens the session.
  await guest.reload();
  await expect(guest.getByRole('heading', { name: 'Could not open session keys' })).toBeVisible();
  await expect(guest.getByText('This browser does not hold the key of this session any more.')).toBeVisible();

  // This browser reconnected with the new key and goes on.
  await expect(ui.status).toHaveText('Connected');
  await expect(presence(page)).toHaveText('1 here');
  await sendMessage(page, 'after the revoke');

  // The old link, opened anew, is explained and leaves the address bar too.
  const third = await otherBrowser(browser, testInfo, baseURL);
  const late = await third.newPage();
  await late.goto(link);
  await expect(late.getByText('This invite link no longer works. Ask for a new one.')).toBeVisible();
  expect(late.url()).toBe(`${baseURL}/s/keys`);
  // A new invite works again.
  const fresh = await inviteLink(page);
  expect(fresh).not.toBe(link);
  await late.goto(fresh);
  await expect(app(late).status).toHaveText('Connected');
  await expect(app(late).bubbles).toHaveText(['after the revoke']);
  await Promise.all([second.close(), third.close()]);
});
