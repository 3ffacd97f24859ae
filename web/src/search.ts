import type { SearchResult } from '../../protocol/wire.js';
import { searchMessages } from './api.js';
import { explain } from './errors.js';
import { lang, phrase } from './i18n.js';
import { byId, phraseSlot } from './view.js';

const PAGE = 20;
const TYPING_PAUSE_MS = 300;

const form = byId<HTMLFormElement>('search-form');
const input = byId<HTMLInputElement>('search');
const submit = byId<HTMLButtonElement>('search-submit');
const results = byId<HTMLOListElement>('search-results');
const more = byId<HTMLButtonElement>('search-more');
const showSummary = phraseSlot(byId('search-summary'), false);
const showError = phraseSlot(byId('search-error'));

let sessionId: string | null = null;
let query = '';
let shown = 0;
/** Answers to older requests are dropped. */
let generation = 0;
let typingTimer: ReturnType<typeof setTimeout> | undefined;
let openMessage: (seq: number) => void = () => undefined;

/** One result: the snippet with its matches in <mark> (built from parts, never from markup), and when it was sent. */
function resultItem(result: SearchResult): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'list-group-item p-0';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'list-group-item-action border-0 bg-transparent px-3 py-2';
  const snippet = document.createElement('span');
  snippet.className = 'd-block message-text';
  const parts = [
    ...(result.elidedBefore ? [{ text: '…', match: false }] : []),
    ...result.snippet,
    ...(result.elidedAfter ? [{ text: '…', match: false }] : []),
  ];
  for (const part of parts) {
    const piece = document.createElement(part.match ? 'mark' : 'span');
    piece.textContent = part.text;
    snippet.append(piece);
  }
  const time = document.createElement('time');
  time.className = 'small text-body-secondary';
  time.dateTime = result.at;
  time.textContent = new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(result.at));
  button.append(snippet, time);
  button.addEventListener('click', () => openMessage(result.seq));
  li.append(button);
  return li;
}

function clear(): void {
  generation++;
  query = '';
  shown = 0;
  results.replaceChildren();
  results.hidden = true;
  more.hidden = true;
  showSummary(null);
  showError(null);
}

async function run(q: string, offset: number): Promise<void> {
  if (!sessionId) return;
  const mine = ++generation;
  const id = sessionId;
  try {
    const page = await searchMessages(id, q, { limit: PAGE, offset });
    if (mine !== generation) return;
    if (offset === 0) results.replaceChildren();
    query = q;
    shown = offset + page.results.length;
    results.append(...page.results.map(resultItem));
    results.hidden = shown === 0;
    more.hidden = !page.hasMore;
    showError(null);
    showSummary(phrase(shown === 0 ? 'search.none' : page.hasMore ? 'search.countMore' : 'search.count', { q, count: shown }));
    // Keep the keyboard where the new results start after "More results".
    if (offset > 0) (results.children[offset]?.firstElementChild as HTMLElement | undefined)?.focus();
  } catch (err) {
    if (mine === generation) showError(phrase('err.search', { reason: explain(err, id) }));
  }
}

function searchNow(): void {
  clearTimeout(typingTimer);
  const q = input.value.trim();
  if (q === '') clear();
  else void run(q, 0);
}

/** Enables the search for a session (null: none open) and forgets the last results. */
export function setSearchSession(id: string | null): void {
  sessionId = id;
  input.disabled = id === null;
  submit.disabled = id === null;
  input.value = '';
  clear();
  showSummary(id === null ? phrase('search.noSession') : null);
}

export function initSearch(open: (seq: number) => void): void {
  openMessage = open;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    searchNow();
  });
  input.addEventListener('input', () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(searchNow, TYPING_PAUSE_MS);
  });
  more.addEventListener('click', () => void run(query, shown));
  setSearchSession(null);
}
