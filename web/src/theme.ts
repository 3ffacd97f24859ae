/** Light or dark (Bootstrap 5.3 `data-bs-theme`): the system's choice unless the user picked one; remembered. */
export type ThemeChoice = 'auto' | 'light' | 'dark';
export const THEMES: readonly ThemeChoice[] = ['auto', 'light', 'dark'];

/** Where the choice is kept; public/boot.js applies it before first paint. */
const THEME_KEY = 'websocket-session.theme';

export function savedTheme(): ThemeChoice {
  const saved = localStorage.getItem(THEME_KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'auto';
}

function apply(choice: ThemeChoice): void {
  const dark = choice === 'dark' || (choice === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.bsTheme = dark ? 'dark' : 'light';
}

export function setTheme(choice: ThemeChoice): void {
  if (choice === 'auto') localStorage.removeItem(THEME_KEY);
  else localStorage.setItem(THEME_KEY, choice);
  apply(choice);
}

/** Follows the system while the choice is "auto" (boot.js applied the saved one already). */
export function followSystemTheme(): void {
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => apply(savedTheme()));
}
