import { h } from '../core/dom.js';
import { explain } from '../errors.js';
import { phrase, t } from '../i18n.js';
import { disposer, type Component } from './types.js';

export interface DeleteDialog extends Component {
  /**
   * Asks to delete session `id`; `remove` deletes it, then, the dialog
   * closed, `deleted` runs (and moves the focus on). Otherwise the focus
   * returns to `returnTo`.
   */
  ask(id: string, remove: () => Promise<void>, returnTo: HTMLElement | null, deleted: () => void): void;
}

/**
 * A modal confirmation: the focus starts on Cancel and stays inside (Tab
 * cycles), Escape or a click outside cancels, and a failure is said in the
 * dialog with the reason.
 */
export function createDeleteDialog(dialog: HTMLDialogElement): DeleteDialog {
  const d = disposer();
  const title = h('h2', { class: 'h5', id: 'delete-title' });
  const text = h('p', { id: 'delete-text' });
  const error = h('div', { class: 'alert alert-danger py-2', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', autofocus: true });
  const confirm = h('button', { type: 'button', class: 'btn btn-danger' });
  dialog.className = 'confirm-dialog shadow';
  dialog.setAttribute('aria-labelledby', 'delete-title');
  dialog.setAttribute('aria-describedby', 'delete-text');
  dialog.replaceChildren(h('div', { class: 'p-3' }, title, text, error, h('div', { class: 'd-flex justify-content-end gap-2' }, cancel, confirm)));
  let request: { remove: () => Promise<void>; returnTo: HTMLElement | null; deleted: () => void } | null = null;

  const finish = (done: boolean) => {
    const current = request;
    request = null;
    // Closing first: a modal dialog gives the focus back to where it was when closed.
    if (dialog.open) dialog.close();
    if (done) current?.deleted();
    else current?.returnTo?.focus();
  };
  d.on(cancel, 'click', () => finish(false));
  d.on(dialog, 'cancel', (event) => {
    event.preventDefault();
    finish(false);
  });
  // A click on the backdrop lands on the dialog element itself.
  d.on(dialog, 'click', (event) => event.target === dialog && finish(false));
  d.on(dialog, 'keydown', (event: KeyboardEvent) => {
    if (event.key !== 'Tab') return;
    const controls = [cancel, confirm].filter((b) => !b.disabled);
    const at = controls.indexOf(document.activeElement as HTMLButtonElement);
    event.preventDefault();
    controls.at((at + (event.shiftKey ? -1 : 1)) % controls.length)?.focus();
  });
  d.on(confirm, 'click', () => {
    const current = request;
    if (!current) return;
    confirm.disabled = true;
    current
      .remove()
      .then(() => finish(true))
      .catch((err: unknown) => {
        error.hidden = false;
        error.textContent = t(phrase('err.delete', { reason: explain(err) }));
      })
      .finally(() => (confirm.disabled = false));
  });

  return {
    ask(id, remove, returnTo, deleted) {
      if (dialog.open) return;
      request = { remove, returnTo, deleted };
      title.textContent = t('delete.title', { id });
      text.textContent = t('delete.text');
      cancel.textContent = t('delete.cancel');
      confirm.textContent = t('delete.confirm');
      error.hidden = true;
      dialog.showModal();
      cancel.focus();
    },
    destroy: d.destroy,
  };
}
