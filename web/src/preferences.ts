import { lang, onLangChange, setLang, translatePage, type Lang } from './i18n.js';
import { initTheme, savedTheme, setTheme, type ThemeChoice } from './theme.js';
import { elements } from './view.js';

/** The language and theme pickers (both remembered); `onLanguage` shows the dynamic texts again. */
export function initPreferences(onLanguage: () => void): void {
  const { language, theme } = elements;
  initTheme();
  translatePage();
  language.value = lang();
  language.addEventListener('change', () => setLang(language.value as Lang));
  theme.value = savedTheme();
  theme.addEventListener('change', () => setTheme(theme.value as ThemeChoice));
  onLangChange(onLanguage);
}
