import { app, createSession, expect, screenshot, sendMessage, setting, test } from './fixtures.js';
import { seedMessages } from './seed.js';

/** A conversation worth looking at: days, both sides, a link, right-to-left text, a pending one. */
const BODIES = [
  'Morning! Is the deploy still on for today?',
  'Yes, after the standup. Notes: https://example.com/deploy-notes',
  'مرحبا! سأنضم بعد قليل',
  'Great, I will watch the dashboards.',
];

for (const theme of ['light', 'dark'] as const) {
  for (const lang of ['en', 'pt-BR'] as const) {
    test(`screenshots: ${theme}, ${lang}`, async ({ page, server }, testInfo) => {
      await createSession(page, 'team-chat');
      const times = BODIES.map((_, i) => Date.now() - (BODIES.length - i) * 3_600_000 - (i === 0 ? 86_400_000 : 0));
      seedMessages(server.dbPath, 'team-chat', 0, { times, body: (seq) => BODIES[seq - 1]! });
      await page.goto('/s/team-chat');
      const ui = app(page);
      await expect(ui.status).toHaveText('Connected');
      if (theme === 'dark') await setting(page, 'Theme', 'dark');
      await sendMessage(page, 'On my way');
      if (lang === 'pt-BR') {
        await setting(page, 'Language', 'pt-BR');
        await expect(page.locator('#status')).toHaveText('Conectado');
      }
      await expect(page.locator('html')).toHaveAttribute('data-bs-theme', theme);
      await page.locator('#message').fill(lang === 'en' ? 'Typing a draft…' : 'Escrevendo um rascunho…');
      await screenshot(page, testInfo, `app-${theme}-${lang}`);
    });
  }
}
