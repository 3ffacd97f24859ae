import { h, ICONS } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { language, t } from '../i18n.js';
import type { ActiveSession } from '../session/sessions.js';
import { popoverMenu } from './popover.js';
import { disposer, type Component } from './types.js';

export interface SessionMenuDeps {
  active: Store<ActiveSession>;
  /** "Delete session…": asks, then deletes; the focus returns to `returnTo` if not. */
  askDelete(id: string, returnTo: HTMLElement): void;
}

/**
 * The session's actions, in a menu shown only while a session is open:
 * download the history (NDJSON, CSV; the cookie authorises the link) and
 * delete. Invite and revoke join this menu once the server has them.
 */
export function createSessionMenu(root: HTMLElement, { active, askDelete }: SessionMenuDeps): Component {
  const d = disposer();
  const { button, pop } = popoverMenu(ICONS.menu, 3);
  const ndjson = h('a', { class: 'menu-item', download: '' });
  const csv = h('a', { class: 'menu-item', download: '' });
  const remove = h('button', { type: 'button', class: 'menu-item text-danger' });
  pop.append(ndjson, csv, h('hr'), remove);
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
    remove.textContent = t('delete.button');
  }

  d.add(active.subscribe(render));
  d.add(language.subscribe(render, false));
  d.on(remove, 'click', () => {
    const session = active.get();
    if (session.phase === 'open') askDelete(session.id, button);
  });
  return { destroy: d.destroy };
}
