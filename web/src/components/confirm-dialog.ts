import { h } from '../core/dom.js';
import { explain } from '../errors.js';
import { phrase, t, type Key } from '../i18n.js';
import { modal } from './modal.js';
import { disposer, type Component } from './types.js';

/** What is asked: its texts are `<kind>.title` ({id}), `<kind>.text`, `<kind>.confirm` and, on failure, `err.<kind>` ({reason}). */
export type ConfirmKind = 'delete' | 'revoke';

export interface ConfirmDialog extends Component {
  /**
   * Asks to `kind` session `id`; `act` does it, then, the dialog closed,
   * `done` runs (and moves the focus on). Otherwise the focus returns to
   * `returnTo`.
   */
  ask(kind: ConfirmKind, id: string, act: () => Promise<void>, returnTo: HTMLElement | null, done: () => void): void;
}

/**
 * A modal confirmation of an action that cannot be undone: the focus starts
 * on Cancel and stays inside (Tab cycles), Escape or a click outside
 * cancels, and a failure is said in the dialog with the reason.
 */
export function createConfirmDialog(dialog: HTMLDialogElement): ConfirmDialog {
  const d = disposer();
  const title = h('h2', { class: 'h5', id: 'confirm-title' });
  const text = h('p', { id: 'confirm-text' });
  const error = h('div', { class: 'alert alert-danger py-2', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', autofocus: true });
  const confirm = h('button', { type: 'button', class: 'btn btn-danger' });
  dialog.className = 'confirm-dialog shadow';
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  dialog.setAttribute('aria-describedby', 'confirm-text');
  dialog.replaceChildren(h('div', { class: 'p-3' }, title, text, error, h('div', { class: 'd-flex justify-content-end gap-2' }, cancel, confirm)));
  let request: { kind: ConfirmKind; act: () => Promise<void>; returnTo: HTMLElement | null; done: () => void } | null = null;

  const finish = (done: boolean) => {
    const current = request;
    request = null;
    // Closing first: a modal dialog gives the focus back to where it was when closed.
    if (dialog.open) dialog.close();
    if (done) current?.done();
    else current?.returnTo?.focus();
  };
  d.on(cancel, 'click', () => finish(false));
  modal(dialog, d, () => [cancel, confirm], () => finish(false));
  d.on(confirm, 'click', () => {
    const current = request;
    if (!current) return;
    confirm.disabled = true;
    current
      .act()
      .then(() => finish(true))
      .catch((err: unknown) => {
        error.hidden = false;
        error.textContent = t(phrase(`err.${current.kind}`, { reason: explain(err) }));
      })
      .finally(() => (confirm.disabled = false));
  });

  return {
    ask(kind, id, act, returnTo, done) {
      if (dialog.open) return;
      request = { kind, act, returnTo, done };
      title.textContent = t(`${kind}.title` as Key, { id });
      text.textContent = t(`${kind}.text` as Key);
      cancel.textContent = t('dialog.cancel');
      confirm.textContent = t(`${kind}.confirm` as Key);
      error.hidden = true;
      dialog.showModal();
      cancel.focus();
    },
    destroy: d.destroy,
  };
}
