import { expect, screenshots, test } from './fixtures.js';

test.describe('a Brazilian browser', () => {
  test.use({ locale: 'pt-BR' });

  test('gets Portuguese, can switch to English, and the choice is remembered', async ({ page }, testInfo) => {
    await page.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
    await expect(page.getByLabel('Idioma')).toHaveValue('pt-BR');
    await expect(page.locator('#status')).toHaveText('desconectado');
    await page.getByLabel('ID da sessão').fill('ola');
    await page.getByRole('button', { name: 'Registrar' }).click();
    await expect(page.getByText('A sessão ola está registrada neste navegador.')).toBeVisible();
    await page.getByRole('button', { name: 'Conectar', exact: true }).click();
    await expect(page.locator('#status')).toHaveText('conectado');
    await page.getByLabel('Mensagem', { exact: true }).fill('olá, mundo');
    await page.getByLabel('Mensagem', { exact: true }).press('Enter');
    const history = page.getByRole('list', { name: 'Histórico de mensagens' });
    await expect(history.getByText('ola: olá, mundo')).toBeVisible();
    // Times in Brazilian style (24 h).
    await expect(history.locator('time > span:last-child')).toHaveText(/^\d{2}:\d{2}$/);
    await expect(page.getByText('Enter envia, Shift+Enter quebra a linha.')).toBeVisible();
    await page.getByLabel('ID da sessão').fill('inválido!');
    await page.getByRole('button', { name: 'Registrar' }).click();
    await expect(page.getByRole('alert')).toHaveText(/ID de sessão inválido: um ID de sessão tem de 1 a 64 caracteres/);
    await screenshots(page, testInfo, 'pt-BR');

    await page.getByLabel('Idioma').selectOption('en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByLabel('Session ID')).toBeVisible();
    await expect(page.locator('#status')).toHaveText('connected');
    // What was on screen is said again in the new language.
    await expect(page.getByRole('alert')).toHaveText(/Invalid session ID: a session ID is 1 to 64 characters/);
    await expect(page.getByRole('list', { name: 'Message history' }).locator('time > span:last-child')).toHaveText(/^\d{1,2}:\d{2}\s?[AP]M$/);

    await page.reload();
    await expect(page.getByLabel('Language')).toHaveValue('en');
    await expect(page.getByRole('button', { name: 'Register' })).toBeVisible();
    await expect(page.locator('#status')).toHaveText('connected');
  });
});

test.describe('a system in dark mode', () => {
  test.use({ colorScheme: 'dark' });

  test('gets the dark theme, can switch to light, the choice is remembered, and "System" follows the system', async ({ page }, testInfo) => {
    await page.goto('/');
    const html = page.locator('html');
    const theme = page.getByLabel('Theme');
    await expect(html).toHaveAttribute('data-bs-theme', 'dark');
    await expect(theme).toHaveValue('auto');
    const background = () => page.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
    expect(await background()).toBe('rgb(33, 37, 41)');
    await screenshots(page, testInfo, 'dark');

    await theme.selectOption('light');
    await expect(html).toHaveAttribute('data-bs-theme', 'light');
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.reload();
    await expect(html).toHaveAttribute('data-bs-theme', 'light');
    await expect(theme).toHaveValue('light');
    await screenshots(page, testInfo, 'light');

    await theme.selectOption('auto');
    await expect(html).toHaveAttribute('data-bs-theme', 'dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(html).toHaveAttribute('data-bs-theme', 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(html).toHaveAttribute('data-bs-theme', 'dark');
  });
});
