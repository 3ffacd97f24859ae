import type { Page } from '@playwright/test';
import { app, expect, openSession, screenshot, sendMessage, test } from './fixtures.js';

declare global {
  interface Window {
    /** What the page passed to `new Notification(...)`. */
    __notifications: Array<{ title: string; body: string }>;
    /** Pretends the tab is hidden (or visible again) and says so with a visibilitychange event. */
    __setHidden(hidden: boolean): void;
  }
}

/** Records notifications (the real constructor still runs) and lets the test hide the tab. */
async function instrument(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__notifications = [];
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        window.__notifications.push({ title, body: options?.body ?? '' });
      }
    }
    window.Notification = Recorded as typeof Notification;
    let hidden = false;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    window.__setHidden = (value) => {
      hidden = value;
      document.dispatchEvent(new Event('visibilitychange'));
    };
  });
}

const notifications = (page: Page) => page.evaluate(() => window.__notifications);

test('while the tab is hidden, messages from another tab raise notifications and an unread count in the title', async ({ page, context }, testInfo) => {
  await context.grantPermissions(['notifications']);
  await instrument(page);
  await page.goto('/');
  await openSession(page, 'notes');
  // Already allowed: nothing to ask.
  await page.locator('#settings > button').click();
  await expect(page.getByLabel('Language')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enable notifications' })).toBeHidden();
  await page.keyboard.press('Escape');
  const other = await context.newPage();
  await instrument(other);
  await other.goto('/s/notes');
  await expect(app(other).status).toHaveText('Connected');

  // Visible: announced for screen readers, no notification, no count.
  await sendMessage(other, 'while visible');
  await expect(page.locator('#announcer')).toContainText('New message: while visible');
  await expect(page).toHaveTitle('websocket-session');

  await page.evaluate(() => window.__setHidden(true));
  await sendMessage(other, 'ping 1');
  await sendMessage(other, 'ping 2');
  await expect(page).toHaveTitle('(2) websocket-session');
  await expect.poll(() => notifications(page)).toEqual([
    { title: 'New message in notes', body: 'ping 1' },
    { title: 'New message in notes', body: 'ping 2' },
  ]);
  // Seen while hidden: marked as new for when the reader comes back.
  await expect(app(page).history.locator('.new-divider + li .msg-body')).toHaveText('ping 1');
  // The sender's own messages are not news to it.
  expect(await notifications(other)).toEqual([]);
  await expect(other).toHaveTitle('websocket-session');
  await screenshot(page, testInfo, 'unread-title');

  await page.evaluate(() => window.__setHidden(false));
  await expect(page).toHaveTitle('websocket-session');
});

test('the app asks for permission with an "Enable notifications" button', async ({ page }) => {
  // Headless Chromium cannot show the permission prompt: stand in for the user's "Allow".
  await page.addInitScript(() => {
    let permission: NotificationPermission = 'default';
    class Asking {
      static get permission() {
        return permission;
      }
      static requestPermission() {
        (window as unknown as { __asked: boolean }).__asked = true;
        permission = 'granted';
        return Promise.resolve(permission);
      }
    }
    (window as unknown as { Notification: unknown }).Notification = Asking;
  });
  await page.goto('/');
  await page.locator('#settings > button').click();
  const enable = page.getByRole('button', { name: 'Enable notifications' });
  await expect(enable).toBeVisible();
  await enable.click();
  await expect(enable).toBeHidden();
  expect(await page.evaluate(() => (window as unknown as { __asked: boolean }).__asked)).toBe(true);
});
