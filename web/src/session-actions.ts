import { deleteSession, exportUrl } from './api.js';
import { explain } from './errors.js';
import { phrase, t } from './i18n.js';
import { byId, showSessionError } from './view.js';

const ndjson = byId<HTMLAnchorElement>('export-ndjson');
const csv = byId<HTMLAnchorElement>('export-csv');
const deleteButton = byId<HTMLButtonElement>('delete');
const dialog = byId<HTMLDialogElement>('delete-dialog');
const title = byId<HTMLHeadingElement>('delete-title');
const confirmButton = byId<HTMLButtonElement>('delete-confirm');

let sessionId: string | null = null;

/** Points the downloads at the open session (null: none). */
export function setActionsSession(id: string | null): void {
  sessionId = id;
  for (const [link, format] of [[ndjson, 'ndjson'], [csv, 'csv']] as const) {
    if (id) link.href = exportUrl(id, format);
    else link.removeAttribute('href');
  }
}

/**
 * The delete button asks first, in a modal dialog: the focus starts on
 * Cancel, Escape cancels, and it comes back to the button afterwards.
 * `onDeleted` runs after the server has deleted the session.
 */
export function initSessionActions(before: (id: string) => void, onDeleted: (id: string) => void, onFailed: (id: string) => void): void {
  deleteButton.addEventListener('click', () => {
    if (!sessionId) return;
    title.textContent = t('delete.title', { id: sessionId });
    dialog.returnValue = '';
    dialog.showModal();
  });
  dialog.addEventListener('close', () => {
    const id = sessionId;
    if (dialog.returnValue !== 'confirm' || !id) {
      deleteButton.focus();
      return;
    }
    confirmButton.disabled = true;
    before(id);
    deleteSession(id)
      .then(() => onDeleted(id))
      .catch((err: unknown) => {
        onFailed(id);
        showSessionError(phrase('err.delete', { reason: explain(err, id) }));
        deleteButton.focus();
      })
      .finally(() => (confirmButton.disabled = false));
  });
}
