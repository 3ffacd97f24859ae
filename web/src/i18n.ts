import { en, type Key } from './strings-en.js';
import { ptBR } from './strings-pt.js';

export type { Key };
export type Lang = 'en' | 'pt-BR';
/** Parameters of a text: numbers are formatted for the language, phrases translated too. */
export type Params = Record<string, string | number | Phrase>;

/** A text to show, kept as key + parameters so it can be shown again in another language. */
export interface Phrase {
  key: Key;
  params?: Params;
}

export const phrase = (key: Key, params?: Params): Phrase => ({ key, params });

const STORAGE_KEY = 'websocket-session.lang';
const DICTIONARIES: Record<Lang, Record<Key, string>> = { en, 'pt-BR': ptBR };
const listeners: Array<() => void> = [];

function detect(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'pt-BR') return saved;
  const first = navigator.languages.find((l) => /^(en|pt)\b/i.test(l)) ?? 'en';
  return first.toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

let current: Lang = detect();

export const lang = (): Lang => current;

/** The text of `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key: Key | Phrase, params?: Params): string {
  if (typeof key !== 'string') return t(key.key, key.params);
  return DICTIONARIES[current][key].replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) return '';
    return typeof value === 'number' ? formatNumber(value) : typeof value === 'string' ? value : t(value);
  });
}

export const formatNumber = (n: number): string => n.toLocaleString(current);

/** Fills the static texts: `data-i18n` (text), `data-i18n-placeholder` and `data-i18n-label` (aria-label). */
export function translatePage(root: ParentNode = document): void {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as Key);
  for (const el of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder as Key);
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel as Key));
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  translatePage();
  for (const listener of listeners) listener();
}

export function onLangChange(listener: () => void): void {
  listeners.push(listener);
}
