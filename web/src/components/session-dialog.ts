import { h } from '../core/dom.js';
import { explain } from '../errors.js';
import { phrase, t, type Key } from '../i18n.js';
import { modal } from './modal.js';
import { disposer, type Component } from './types.js';

/** What is asked: its texts are `<kind>.title` ({id}), `<kind>.text`, `<kind>.confirm` and, on failure, `err.<kind>` ({reason}). */
export type ConfirmKind = 'delete' | 'revoke';

export interface SessionDialog extends Component {
  /**
   * Asks to `kind` session `id`; `act` does it, then, the dialog closed,
   * `done` runs (and moves the focus on). Otherwise the focus returns to
   * `returnTo`. The focus starts on Cancel: these cannot be undone.
   */
  ask(kind: ConfirmKind, id: string, act: () => Promise<void>, returnTo: HTMLElement, done: () => void): void;
  /** Shows the invite `link` of session `id` to copy, the focus on "Copy link"; closed, the focus returns to `returnTo`. */
  invite(id: string, link: string, returnTo: HTMLElement): void;
}

/**
 * The app's one modal dialog (the focus stays inside, Tab cycles; Escape or
 * a click outside closes it): confirming what cannot be undone (delete,
 * revoke), with a failure said in it with the reason; or the invite link,
 * copied with the Clipboard API where the page may use it, else by selecting
 * it and the browser's copy command, else left selected with a word to press
 * Ctrl+C. The link carries the session's token: it is shown only here.
 */
export function createSessionDialog(dialog: HTMLDialogElement, clipboard: Pick<Clipboard, 'writeText'> | undefined = navigator.clipboard): SessionDialog {
  const d = disposer();
  const title = h('h2', { class: 'h5', id: 'dialog-title' });
  const text = h('p', { id: 'dialog-text' });
  const label = h('label', { class: 'form-label', for: 'invite-link' });
  const link = h('input', { type: 'text', class: 'form-control font-monospace', id: 'invite-link', readonly: true });
  const field = h('div', {}, label, link);
  const note = h('p', { class: 'small my-2', role: 'status' });
  const error = h('div', { class: 'alert alert-danger py-2', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary' });
  const confirm = h('button', { type: 'button' });
  dialog.className = 'confirm-dialog shadow';
  dialog.setAttribute('aria-labelledby', 'dialog-title');
  dialog.setAttribute('aria-describedby', 'dialog-text');
  dialog.replaceChildren(h('div', { class: 'p-3' }, title, text, field, note, error, h('div', { class: 'd-flex justify-content-end gap-2' }, cancel, confirm)));
  let request: { kind: ConfirmKind | 'invite'; act: () => Promise<Key | void>; returnTo: HTMLElement; done?: () => void } | null = null;

  const finish = (done: boolean) => {
    const current = request;
    request = null;
    // Closing first: a modal dialog gives the focus back to where it was when closed.
    if (dialog.open) dialog.close();
    if (done) current?.done?.();
    else current?.returnTo.focus();
  };
  const open = (kind: ConfirmKind | 'invite', id: string, act: () => Promise<Key | void>, returnTo: HTMLElement, done?: () => void) => {
    if (dialog.open) return;
    request = { kind, act, returnTo, done };
    const inviting = kind === 'invite';
    title.textContent = t(`${kind}.title` as Key, { id });
    text.textContent = t(`${kind}.text` as Key);
    label.textContent = t('invite.label');
    field.hidden = !inviting;
    note.textContent = '';
    cancel.textContent = t(inviting ? 'toast.close' : 'dialog.cancel');
    confirm.textContent = t(`${kind}.confirm` as Key);
    confirm.className = `btn btn-${inviting ? 'primary' : 'danger'}`;
    error.hidden = true;
    dialog.showModal();
    (inviting ? confirm : cancel).focus();
  };
  const copy = async (): Promise<Key> => {
    try {
      await clipboard!.writeText(link.value);
    } catch {
      link.select();
      // The older copy command works without the Clipboard API (a page not served over HTTPS, say).
      if (!document.execCommand('copy')) return 'invite.copyByHand';
    }
    return 'invite.copied';
  };

  d.on(cancel, 'click', () => finish(false));
  modal(dialog, d, () => (field.hidden ? [cancel, confirm] : [link, cancel, confirm]), () => finish(false));
  d.on(confirm, 'click', () => {
    const current = request;
    if (!current) return;
    confirm.disabled = true;
    current
      .act()
      .then((said) => (said ? (note.textContent = t(said)) : finish(true)))
      .catch((err: unknown) => {
        error.hidden = false;
        error.textContent = t(phrase(`err.${current.kind as ConfirmKind}`, { reason: explain(err) }));
      })
      .finally(() => (confirm.disabled = false));
  });

  return {
    ask: open,
    invite(id, url, returnTo) {
      link.value = url;
      open('invite', id, copy, returnTo);
    },
    destroy: d.destroy,
  };
}
