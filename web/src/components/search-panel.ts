import type { SearchResult, SessionClient } from '../../../client/src/index.js';
import { h, icon, ICONS } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { explain } from '../errors.js';
import { fullTime } from '../history/history-view.js';
import { language, phrase, t, type Phrase } from '../i18n.js';
import type { ActiveSession } from '../session/sessions.js';
import { disposer, type Component, type Panel } from './types.js';

const PAGE = 20;
const TYPING_PAUSE_MS = 300;

export interface SearchPanelDeps {
  active: Store<ActiveSession>;
  panel: Store<Panel>;
  /** Shows a result in its place in the history. */
  openMessage(seq: number): void;
  /** Where the focus goes when the panel closes. */
  focusComposer(): void;
}

/**
 * Full-text search in the open session, as a panel: beside the list on
 * wide screens, over it on phones. Results come as you type; each is a
 * snippet with its matches marked (built from parts, never from markup)
 * and opens the message in its place.
 */
export function createSearchPanel(root: HTMLElement, { active, panel, openMessage, focusComposer }: SearchPanelDeps): Component {
  const d = disposer();
  const heading = h('h2', { class: 'h6 mb-0 me-auto', id: 'search-heading' });
  const close = h('button', { type: 'button', class: 'btn btn-icon' }, icon(ICONS.close));
  const label = h('label', { class: 'visually-hidden', for: 'search-input' });
  const input = h('input', { id: 'search-input', type: 'search', class: 'form-control', maxlength: 200, autocomplete: 'off' });
  const form = h('form', { role: 'search', novalidate: true }, label, input);
  const summary = h('p', { class: 'small text-body-secondary my-2', role: 'status' });
  const error = h('div', { class: 'alert alert-danger py-2', role: 'alert', hidden: true });
  const results = h('ol', { class: 'list-group results' });
  const more = h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary mt-2' });
  root.setAttribute('aria-labelledby', 'search-heading');
  root.replaceChildren(h('div', { class: 'd-flex align-items-center mb-2' }, heading, close), form, summary, error, results, more);
  let client: SessionClient | null = null;
  let query = '';
  let found: SearchResult[] = [];
  let hasMore = false;
  let status: Phrase | null = null;
  let problem: Phrase | null = null;
  /** Answers to older requests are dropped. */
  let generation = 0;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;

  function resultItem(result: SearchResult): HTMLLIElement {
    const snippet = h('span', { class: 'd-block msg-body', dir: 'auto' });
    const parts = [...(result.elidedBefore ? [{ text: '…', match: false }] : []), ...result.snippet, ...(result.elidedAfter ? [{ text: '…', match: false }] : [])];
    for (const part of parts) snippet.append(h(part.match ? 'mark' : 'span', {}, part.text));
    const button = h('button', { type: 'button', class: 'list-group-item list-group-item-action' }, snippet, h('time', { class: 'small text-body-secondary', datetime: result.at }, fullTime(result.at)));
    button.addEventListener('click', () => {
      openMessage(result.seq);
      // On a phone the panel covers the list: make way for the message.
      if (matchMedia('(max-width: 767.98px)').matches) panel.set('none');
    });
    return h('li', { class: 'p-0 border-0' }, button);
  }

  function render(): void {
    heading.textContent = t('search.heading');
    close.setAttribute('aria-label', t('search.close'));
    close.title = t('search.close');
    label.textContent = t('search.label');
    results.setAttribute('aria-label', t('search.results'));
    summary.textContent = t(status ?? phrase('search.hint'));
    error.hidden = problem === null;
    error.textContent = problem ? t(problem) : '';
    more.textContent = t('search.more');
    more.hidden = !hasMore;
    results.hidden = found.length === 0;
    results.replaceChildren(...found.map(resultItem));
  }

  function reset(): void {
    generation++;
    query = '';
    found = [];
    hasMore = false;
    status = null;
    problem = null;
    render();
  }

  async function run(q: string, offset: number): Promise<void> {
    if (!client) return;
    const mine = ++generation;
    try {
      const page = await client.search(q, { limit: PAGE, offset });
      if (mine !== generation) return;
      query = q;
      found = offset === 0 ? page.results : [...found, ...page.results];
      hasMore = page.hasMore;
      problem = null;
      status = phrase(found.length === 0 ? 'search.none' : hasMore ? 'search.countMore' : 'search.count', { q, count: found.length });
      render();
      // Keep the keyboard where the new results start after "More results".
      if (offset > 0) (results.children[offset]?.firstElementChild as HTMLElement | undefined)?.focus();
    } catch (err) {
      if (mine !== generation) return;
      problem = phrase('err.search', { reason: explain(err) });
      render();
    }
  }

  function searchNow(): void {
    clearTimeout(typingTimer);
    const q = input.value.trim();
    if (q === '') reset();
    else void run(q, 0);
  }

  d.on(form, 'submit', (event) => {
    event.preventDefault();
    searchNow();
  });
  d.on(input, 'input', () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(searchNow, TYPING_PAUSE_MS);
  });
  d.on(root, 'keydown', (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    panel.set('none');
    focusComposer();
  });
  d.on(more, 'click', () => void run(query, found.length));
  d.on(close, 'click', () => {
    panel.set('none');
    focusComposer();
  });
  d.add(
    active.subscribe((session) => {
      const next = session.phase === 'open' ? session.client : null;
      if (next === client) return;
      client = next;
      input.value = '';
      reset();
      if (!client && panel.get() === 'search') panel.set('none');
    }),
  );
  d.add(
    panel.subscribe((open) => {
      root.hidden = open !== 'search';
      if (open === 'search') input.focus();
    }),
  );
  d.add(language.subscribe(render, false));
  return {
    destroy() {
      clearTimeout(typingTimer);
      d.destroy();
    },
  };
}
