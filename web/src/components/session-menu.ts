import { h, ICONS } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { language, t } from '../i18n.js';
import type { ActiveSession } from '../session/sessions.js';
import { popoverMenu } from './popover.js';
import { disposer, type Component } from './types.js';

export interface SessionMenuDeps {
  active: Store<ActiveSession>;
  /** "Delete session…" and "Revoke invite links…": asks, then does it; the focus returns to `returnTo` if not. */
  ask(kind: 'delete' | 'revoke', id: string, returnTo: HTMLElement): void;
  /** "Invite…": shows the session's invite link. */
  invite(id: string, returnTo: HTMLElement): void;
}

/**
 * The session's actions, in a menu shown only while a session is open:
 * invite (a link with the session's token), download the history (NDJSON,
 * CSV; the cookie authorises the link), revoke the invite links (a new
 * token) and delete.
 */
export function createSessionMenu(root: HTMLElement, { active, ask, invite }: SessionMenuDeps): Component {
  const d = disposer();
  const { button, pop } = popoverMenu(ICONS.menu, 3);
  const ndjson = h('a', { class: 'menu-item', download: '' });
  const csv = h('a', { class: 'menu-item', download: '' });
  const inviteItem = h('button', { type: 'button', class: 'menu-item' });
  const revoke = h('button', { type: 'button', class: 'menu-item text-danger' });
  const remove = h('button', { type: 'button', class: 'menu-item text-danger' });
  pop.append(inviteItem, ndjson, csv, h('hr'), revoke, remove);
  root.replaceChildren(button, pop);

  function render(): void {
    const session = active.get();
    root.hidden = session.phase !== 'open';
    if (session.phase === 'open') {
      ndjson.href = session.client.exportUrl('ndjson');
      csv.href = session.client.exportUrl('csv');
    } else if (pop.matches(':popover-open')) pop.hidePopover();
    button.setAttribute('aria-label', t('header.menu'));
    button.title = t('header.menu');
    ndjson.textContent = t('export.ndjson');
    csv.textContent = t('export.csv');
    inviteItem.textContent = t('invite.button');
    revoke.textContent = t('revoke.button');
    remove.textContent = t('delete.button');
  }

  d.add(active.subscribe(render));
  d.add(language.subscribe(render, false));
  const act = (run: (id: string) => void) => () => {
    const session = active.get();
    if (session.phase === 'open') run(session.id);
  };
  d.on(inviteItem, 'click', act((id) => invite(id, button)));
  d.on(revoke, 'click', act((id) => ask('revoke', id, button)));
  d.on(remove, 'click', act((id) => ask('delete', id, button)));
  return { destroy: d.destroy };
}
