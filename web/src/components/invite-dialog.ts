import { h } from '../core/dom.js';
import { language, t, type Key } from '../i18n.js';
import { modal } from './modal.js';
import { disposer, type Component } from './types.js';

export interface InviteDialog extends Component {
  /** Shows the invite `link` of session `id`, focus on "Copy link"; closed, the focus returns to `returnTo`. */
  show(id: string, link: string, returnTo: HTMLElement): void;
}

/**
 * The invite link of the session, to copy: with the Clipboard API where the
 * page may use it, else by selecting the link and the browser's copy
 * command, else it stays selected and the person is told to press Ctrl+C.
 * The link carries the session's token: it is shown only here, on request.
 */
export function createInviteDialog(dialog: HTMLDialogElement, clipboard: Pick<Clipboard, 'writeText'> | undefined = navigator.clipboard): InviteDialog {
  const d = disposer();
  const title = h('h2', { class: 'h5', id: 'invite-title' });
  const text = h('p', { id: 'invite-text' });
  const label = h('label', { class: 'form-label', for: 'invite-link' });
  const link = h('input', { type: 'text', class: 'form-control font-monospace', id: 'invite-link', readonly: true });
  const status = h('p', { class: 'small mt-2 mb-0', role: 'status' });
  const close = h('button', { type: 'button', class: 'btn btn-secondary' });
  const copy = h('button', { type: 'button', class: 'btn btn-primary' });
  dialog.className = 'confirm-dialog shadow';
  dialog.setAttribute('aria-labelledby', 'invite-title');
  dialog.setAttribute('aria-describedby', 'invite-text');
  dialog.replaceChildren(h('div', { class: 'p-3' }, title, text, label, link, status, h('div', { class: 'd-flex justify-content-end gap-2 mt-3' }, close, copy)));
  let id = '';
  let said: Key | null = null;
  let returnTo: HTMLElement | null = null;

  function render(): void {
    title.textContent = t('invite.title', { id });
    text.textContent = t('invite.text');
    label.textContent = t('invite.label');
    close.textContent = t('toast.close');
    copy.textContent = t('invite.copy');
    status.textContent = said ? t(said) : '';
  }
  const say = (key: Key) => {
    said = key;
    render();
  };
  const finish = () => {
    if (dialog.open) dialog.close();
    returnTo?.focus();
  };

  d.on(copy, 'click', () => {
    const fallback = () => {
      link.select();
      // The older copy command works without the Clipboard API (a page not served over HTTPS, say).
      say(document.execCommand('copy') ? 'invite.copied' : 'invite.copyByHand');
    };
    if (!clipboard) return fallback();
    clipboard.writeText(link.value).then(() => say('invite.copied'), fallback);
  });
  d.on(close, 'click', finish);
  modal(dialog, d, () => [link, close, copy], finish);
  d.add(language.subscribe(render, false));

  return {
    show(sessionId, url, from) {
      if (dialog.open) return;
      id = sessionId;
      returnTo = from;
      said = null;
      link.value = url;
      render();
      dialog.showModal();
      copy.focus();
    },
    destroy: d.destroy,
  };
}
