import { h } from '../core/dom.js';
import { t } from '../i18n.js';

/** A message longer than this (characters or lines) is folded behind "Show more". */
const FOLD_CHARS = 1500;
const FOLD_LINES = 16;

/** http(s) URLs; punctuation that ends a sentence is not part of them. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}*_~]+$/;

/** Fills `element` with `text`, its URLs as links built with DOM APIs (never markup), opening apart from this page. */
export function linkify(element: HTMLElement, text: string): void {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING, '');
    if (!URL.canParse(url)) continue;
    element.append(text.slice(last, match.index), h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, url));
    last = match.index + url.length;
  }
  element.append(text.slice(last));
}

/**
 * A message bubble: the body (direction from its content, links live, long
 * ones folded), then its time (or "sending…" while pending). Messages this
 * tab sent carry `mine`, read out as "You:".
 */
export function messageItem(body: string, mine: boolean): HTMLLIElement {
  const text = h('div', { class: 'msg-body', dir: 'auto' });
  linkify(text, body);
  const bubble = h('div', { class: 'bubble' });
  if (mine) bubble.append(h('span', { class: 'visually-hidden', 'data-t': 'messages.mine' }, t('messages.mine')));
  bubble.append(text);
  if (body.length > FOLD_CHARS || body.split('\n', FOLD_LINES + 1).length > FOLD_LINES) {
    text.classList.add('folded');
    const more = h('button', { type: 'button', class: 'btn btn-link btn-sm p-0 fold', 'aria-expanded': 'false' }, t('messages.more'));
    more.addEventListener('click', () => {
      const folded = text.classList.toggle('folded');
      more.setAttribute('aria-expanded', String(!folded));
      more.textContent = t(folded ? 'messages.more' : 'messages.less');
    });
    bubble.append(more);
  }
  return h('li', { class: mine ? 'msg mine' : 'msg' }, bubble);
}

/** Writes the texts of a message item again (the language changed). */
export function relabelItem(li: HTMLElement): void {
  for (const el of li.querySelectorAll<HTMLElement>('[data-t]')) el.textContent = t(el.dataset.t as 'messages.mine');
  const fold = li.querySelector('.fold');
  if (fold) fold.textContent = t(fold.getAttribute('aria-expanded') === 'true' ? 'messages.less' : 'messages.more');
}
