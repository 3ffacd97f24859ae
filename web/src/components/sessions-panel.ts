import { SESSION_ID_MAX_LENGTH, isValidSessionId } from '../../../client/src/index.js';
import { h } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { language, phrase, t, type Phrase } from '../i18n.js';
import type { RecentSessions } from '../session/local.js';
import { sessionPath, type Router } from '../session/router.js';
import type { ActiveSession } from '../session/sessions.js';
import type { Component, Panel } from './types.js';
import { disposer } from './types.js';

export interface SessionsPanelDeps {
  active: Store<ActiveSession>;
  recent: RecentSessions;
  router: Router;
  panel: Store<Panel>;
}

/**
 * "Open" a session by ID (a free ID creates it, one this browser holds is
 * rejoined, empty makes a new one) and the list of this browser's sessions
 * to switch between. On phones it is a panel that closes once a session is
 * open.
 */
export function createSessionsPanel(root: HTMLElement, { active, recent, router, panel }: SessionsPanelDeps): Component {
  const d = disposer();
  const heading = h('h2', { class: 'h6 text-body-secondary', id: 'sessions-heading' });
  const label = h('label', { class: 'form-label', for: 'session-id' });
  const input = h('input', {
    id: 'session-id',
    class: 'form-control',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: SESSION_ID_MAX_LENGTH,
    'aria-describedby': 'session-help session-error',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' });
  const help = h('div', { class: 'form-text', id: 'session-help' });
  const error = h('div', { class: 'alert alert-danger py-2 mt-2 mb-0', id: 'session-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'open-form', novalidate: true }, label, h('div', { class: 'd-flex gap-2' }, input, submit), help, error);
  const recentHeading = h('h2', { class: 'h6 text-body-secondary mt-4', id: 'recent-heading' });
  const list = h('ul', { class: 'recent', 'aria-labelledby': 'recent-heading' });
  const none = h('p', { class: 'small text-body-secondary' });
  root.setAttribute('aria-labelledby', 'sessions-heading');
  root.replaceChildren(heading, form, recentHeading, list, none);
  let problem: Phrase | null = null;

  function render(): void {
    const session = active.get();
    const current = session.phase === 'none' ? null : session.id;
    heading.textContent = t('sessions.heading');
    label.textContent = t('open.label');
    input.placeholder = t('open.placeholder');
    submit.textContent = t('open.button');
    help.textContent = t('open.help');
    error.hidden = problem === null;
    error.textContent = problem ? t(problem) : '';
    input.setAttribute('aria-invalid', String(problem !== null));
    recentHeading.textContent = t('sessions.recent');
    none.textContent = t('sessions.none');
    none.hidden = recent.get().length > 0;
    list.replaceChildren(
      ...recent.get().map((id) => {
        const link = h('a', { href: sessionPath(id), class: 'recent-link', 'aria-current': id === current ? 'page' : false }, id);
        link.addEventListener('click', (event) => {
          if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return; // a new tab or window
          event.preventDefault();
          panel.set('none');
          void router.go(id);
        });
        return h('li', {}, link);
      }),
    );
  }

  d.on(form, 'submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    problem = id === '' || isValidSessionId(id) ? null : phrase('err.idInvalid', { rule: phrase('err.idRule') });
    render();
    if (problem) return input.focus();
    input.value = '';
    panel.set('none');
    void router.go(id === '' ? undefined : id);
  });
  d.on(input, 'input', () => {
    if (problem === null) return;
    problem = null;
    render();
  });
  d.add(active.subscribe(render));
  d.add(recent.subscribe(render, false));
  d.add(language.subscribe(render, false));
  // Opening the panel (phones) puts the focus where the next action is: the ID field.
  d.add(panel.subscribe((open) => open === 'sessions' && input.focus(), false));
  return { destroy: d.destroy };
}
