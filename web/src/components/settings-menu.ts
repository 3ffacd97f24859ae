import { h, ICONS } from '../core/dom.js';
import { LANGS, language, setLanguage, t, type Key, type Lang } from '../i18n.js';
import { THEMES, savedTheme, setTheme, type ThemeChoice } from '../theme.js';
import { popoverMenu } from './popover.js';
import { disposer, type Component } from './types.js';

const LANG_NAMES: Record<Lang, string> = { en: 'English', 'pt-BR': 'Português (Brasil)' };

export interface SettingsDeps {
  /** The Notification API, when the browser has one. */
  notifications: typeof Notification | undefined;
}

/** Language, theme (both remembered) and, while the browser has not been asked yet, "Enable notifications". */
export function createSettingsMenu(root: HTMLElement, { notifications }: SettingsDeps): Component {
  const d = disposer();
  const { button, pop } = popoverMenu(ICONS.sliders);
  const field = (select: HTMLSelectElement, id: string) => {
    select.id = id;
    select.className = 'form-select form-select-sm';
    return h('label', { class: 'form-label small', for: id });
  };
  const langSelect = h('select', {}, ...LANGS.map((lang) => h('option', { value: lang, lang }, LANG_NAMES[lang])));
  const themeSelect = h('select', {}, ...THEMES.map((theme) => h('option', { value: theme })));
  const langLabel = field(langSelect, 'language');
  const themeLabel = field(themeSelect, 'theme');
  const notify = h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary w-100 mt-3' });
  pop.append(langLabel, langSelect, themeLabel, themeSelect, notify);
  root.replaceChildren(button, pop);

  function render(): void {
    button.setAttribute('aria-label', t('header.settings'));
    button.title = t('header.settings');
    langLabel.textContent = t('lang.label');
    themeLabel.textContent = t('theme.label');
    langSelect.value = language.get();
    themeSelect.value = savedTheme();
    for (const option of themeSelect.options) option.textContent = t(`theme.${option.value}` as Key);
    notify.textContent = t('notify.enable');
    notify.hidden = notifications?.permission !== 'default';
  }

  d.add(language.subscribe(render));
  // Offline, the other language's texts may not load: the choice then stays as it was.
  d.on(langSelect, 'change', () => void setLanguage(langSelect.value as Lang).catch(render));
  d.on(themeSelect, 'change', () => setTheme(themeSelect.value as ThemeChoice));
  d.on(notify, 'click', () => void notifications?.requestPermission().then(render));
  return { destroy: d.destroy };
}
