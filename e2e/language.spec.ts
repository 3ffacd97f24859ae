import { app, createSession, expect, openSession, screenshot, sendMessage, setting, test } from './fixtures.js';
import { seedMessages } from './seed.js';

test.describe('in São Paulo', () => {
  // A low rate limit makes the server refuse a burst: the app says so in a toast, which the switch must translate too.
  test.use({ timezoneId: 'America/Sao_Paulo', serverEnv: { WS_RATE_LIMIT: '1' } });

  test('a live switch to Portuguese shows every visible text again: dates, search results, toasts, errors', async ({ page, server }, testInfo) => {
    await createSession(page, 'dias');
    // In UTC these are three days; in São Paulo (UTC-3) two, and then today.
    const times = ['2026-03-09T12:00:00Z', '2026-03-10T01:30:00Z', '2026-03-10T15:00:00Z'].map(Date.parse).concat(Date.now() - 60_000);
    seedMessages(server.dbPath, 'dias', 0, { times, body: (seq) => `mensagem ${seq}` });
    await page.goto('/s/dias');
    const ui = app(page);
    const separators = page.locator('#messages li.day-separator');
    await expect(separators).toHaveText(['Monday, March 9, 2026', 'Tuesday, March 10, 2026', 'Today']);
    await expect(ui.history.locator('time > span:last-child').first()).toHaveText('9:00 AM');
    await ui.searchButton.click();
    await ui.search.fill('mensagem');
    await expect(ui.results.getByRole('listitem')).toHaveCount(4);
    await expect(ui.results.locator('time').first()).toHaveText(/^[A-Z][a-z]+ \d+, 2026/);
    await expect(page.getByText('Results for “mensagem”: 4')).toBeVisible();
    // On a phone the search covers the message box: close it to type, then open it again (its results stay).
    await page.keyboard.press('Escape');
    // Six messages in one task: past the burst the server takes, whatever the machine's speed.
    await ui.message.evaluate((box: HTMLTextAreaElement) => {
      for (let i = 1; i <= 6; i++) {
        box.value = `burst ${i}`;
        box.dispatchEvent(new Event('input'));
        box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      }
    });
    await expect(ui.toasts).toContainText('You are sending too fast');
    await ui.searchButton.click();
    await expect(page.getByText('Results for “mensagem”: 4')).toBeVisible();

    await setting(page, 'Language', 'pt-BR');
    await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
    // Day labels all capitalised alike.
    await expect(separators).toHaveText(['Segunda-feira, 9 de março de 2026', 'Terça-feira, 10 de março de 2026', 'Hoje']);
    await expect(page.locator('#messages time > span:last-child').first()).toHaveText('09:00');
    await expect(page.getByText('Resultados para “mensagem”: 4')).toBeVisible();
    await expect(page.getByRole('list', { name: 'Resultados da busca' }).locator('time').first()).toHaveText(/^\d+ de \p{L}+ de 2026 às/u);
    await expect(page.locator('#toasts')).toContainText('Você está enviando rápido demais');
    await expect(page.locator('#status')).toHaveText('Conectado');
    await expect(page.getByLabel('Mensagem', { exact: true })).toHaveAttribute('placeholder', 'Escreva uma mensagem');
    const english = await page.evaluate(() => document.body.innerText);
    for (const word of ['Search', 'Connected', 'sending', 'Message', 'Loading', 'Session', 'Today', 'Results']) expect(english).not.toContain(word);
    await screenshot(page, testInfo, 'pt-BR-live');
  });
});

test.describe('a Brazilian browser', () => {
  test.use({ locale: 'pt-BR' });

  test('gets Portuguese, with server errors in Portuguese too, and the choice of English is remembered', async ({ page, browser, baseURL }) => {
    const other = await browser.newContext({ baseURL });
    await createSession(await other.newPage(), 'ocupada');
    await other.close();
    await page.goto('/s/ocupada');
    await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
    await expect(page.getByRole('heading', { name: 'A sessão ocupada pertence a outro navegador' })).toBeVisible();
    await page.goto('/s/ruim!');
    await expect(page.getByText('ID de sessão inválido: um ID de sessão tem de 1 a 64 caracteres')).toBeVisible();
    await page.goto('/');
    await page.getByLabel('ID da sessão').fill('ola');
    await page.getByRole('button', { name: 'Abrir', exact: true }).click();
    await expect(page.locator('#status')).toHaveText('Conectado');
    await page.getByLabel('Mensagem', { exact: true }).fill('olá, mundo');
    await page.getByLabel('Mensagem', { exact: true }).press('Enter');
    await expect(page.locator('#messages time > span:last-child')).toHaveText(/^\d{2}:\d{2}$/);

    await setting(page, 'Idioma', 'en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.locator('#status')).toHaveText('Connected');
    await page.reload();
    await expect(page.locator('#status')).toHaveText('Connected');
    await expect(page.getByLabel('Message', { exact: true })).toBeVisible();
  });
});

test('the saved theme and language apply before first paint, even with a slow script', async ({ page }, testInfo) => {
  await page.goto('/');
  await openSession(page, 'paint');
  await sendMessage(page, 'hello');
  await setting(page, 'Language', 'pt-BR');
  await setting(page, 'Tema', 'dark');
  // Hold the app's script back: what paints first is what boot.js set up.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/assets/index-*.js', async (route) => {
    await released;
    await route.continue();
  });
  await page.goto('/s/paint', { waitUntil: 'commit' });
  await page.waitForFunction(() => document.body !== null && document.readyState !== 'loading');
  await expect(page.locator('html')).toHaveAttribute('data-bs-theme', 'dark');
  await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(33, 37, 41)');
  // Nothing in English (or in any language) is shown before the texts are there.
  expect(await page.evaluate(() => document.documentElement.dataset.ready)).toBeUndefined();
  expect((await page.evaluate(() => document.body.innerText)).trim()).toBe('');
  await screenshot(page, testInfo, 'first-paint');
  release();
  await expect(page.locator('#status')).toHaveText('Conectado');
  await expect(app(page).bubbles).toHaveText(['hello']);
});

test.describe('a system in dark mode', () => {
  test.use({ colorScheme: 'dark' });

  test('gets the dark theme, can switch to light (remembered), and "System" follows the system', async ({ page }) => {
    await page.goto('/');
    const html = page.locator('html');
    await expect(html).toHaveAttribute('data-bs-theme', 'dark');
    await setting(page, 'Theme', 'light');
    await expect(html).toHaveAttribute('data-bs-theme', 'light');
    await page.reload();
    await expect(html).toHaveAttribute('data-bs-theme', 'light');
    await setting(page, 'Theme', 'auto');
    await expect(html).toHaveAttribute('data-bs-theme', 'dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(html).toHaveAttribute('data-bs-theme', 'light');
  });
});
