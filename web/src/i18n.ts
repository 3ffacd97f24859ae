import { store } from './core/store.js';
import type { Key } from './strings-en.js';

export type { Key };
export type Lang = 'en' | 'pt-BR';
export const LANGS: readonly Lang[] = ['en', 'pt-BR'];
/** Parameters of a text: numbers are formatted for the language, phrases translated too. */
export type Params = Record<string, string | number | Phrase>;

/** A text to show, kept as key + parameters so it can be shown again in another language. */
export interface Phrase {
  key: Key;
  params?: Params;
}

export const phrase = (key: Key, params?: Params): Phrase => ({ key, params });

/** Where the choice is kept; public/boot.js reads the same key before first paint. */
export const LANG_KEY = 'websocket-session.lang';

type Dictionary = Record<Key, string>;
/** Each language is its own chunk: a visitor loads only the one in use (and another after a switch). */
const loaders: Record<Lang, () => Promise<Dictionary>> = {
  en: () => import('./strings-en.js').then((m) => m.en),
  'pt-BR': () => import('./strings-pt.js').then((m) => m.ptBR),
};
const dictionaries: Partial<Record<Lang, Dictionary>> = {};

/** Loads a language's texts (once); `t()` needs the current language's loaded. */
export async function loadLanguage(lang: Lang): Promise<void> {
  dictionaries[lang] ??= await loaders[lang]();
}

/**
 * The UI language. Components subscribe and show every text again on a
 * change; `main.ts` sets it from `<html lang>`, which public/boot.js chose
 * before first paint (saved choice, else the browser's languages).
 */
export const language = store<Lang>('en');

export const asLang = (value: string | null | undefined): Lang => (value === 'pt-BR' ? 'pt-BR' : 'en');

/** The text of `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key: Key | Phrase, params?: Params): string {
  if (typeof key !== 'string') return t(key.key, key.params);
  return dictionaries[language.get()]![key].replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) return '';
    return typeof value === 'number' ? value.toLocaleString(language.get()) : typeof value === 'string' ? value : t(value);
  });
}

/** Switches the language: remembered, said on `<html lang>`, and every subscriber shows its texts again. */
export async function setLanguage(next: Lang): Promise<void> {
  await loadLanguage(next);
  localStorage.setItem(LANG_KEY, next);
  document.documentElement.lang = next;
  language.set(next);
}

// Editing a string in development swaps the dictionary and re-renders: no page reload, nothing typed is lost.
if (import.meta.hot) {
  import.meta.hot.accept(['./strings-en.ts', './strings-pt.ts'], ([nextEn, nextPt]) => {
    if (nextEn) dictionaries.en = (nextEn as unknown as { en: Dictionary }).en;
    if (nextPt) dictionaries['pt-BR'] = (nextPt as unknown as { ptBR: Dictionary }).ptBR;
    language.set(language.get());
  });
}
