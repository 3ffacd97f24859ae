/** Light or dark (Bootstrap 5.3 `data-bs-theme`): the system's choice unless the user picked one; remembered. */
export type ThemeChoice = 'auto' | 'light' | 'dark';

const STORAGE_KEY = 'websocket-session.theme';
const systemDark = matchMedia('(prefers-color-scheme: dark)');

export function savedTheme(): ThemeChoice {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'auto';
}

function apply(choice: ThemeChoice): void {
  const dark = choice === 'dark' || (choice === 'auto' && systemDark.matches);
  document.documentElement.dataset.bsTheme = dark ? 'dark' : 'light';
}

export function setTheme(choice: ThemeChoice): void {
  if (choice === 'auto') localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, choice);
  apply(choice);
}

/** Applies the saved choice and follows the system while it is "auto". */
export function initTheme(): void {
  apply(savedTheme());
  systemDark.addEventListener('change', () => apply(savedTheme()));
}
