import { t, type Phrase } from './i18n.js';
import { byId } from './view.js';

const container = byId<HTMLDivElement>('toasts');
const SHOW_MS = 6000;

/** A short note in the corner (read out by its polite live region); it goes away by itself or with its close button. */
export function toast(text: Phrase, tone: 'success' | 'warning' | 'danger' = 'success'): void {
  const box = document.createElement('div');
  box.className = `toast show align-items-center border-0 text-bg-${tone}`;
  const row = document.createElement('div');
  row.className = 'd-flex';
  const body = document.createElement('div');
  body.className = 'toast-body';
  body.textContent = t(text);
  const close = document.createElement('button');
  close.type = 'button';
  close.className = `btn-close me-2 m-auto${tone === 'warning' ? '' : ' btn-close-white'}`;
  close.setAttribute('aria-label', t('toast.close'));
  close.addEventListener('click', () => box.remove());
  row.append(body, close);
  box.append(row);
  container.append(box);
  while (container.childElementCount > 3) container.firstElementChild!.remove();
  setTimeout(() => box.remove(), SHOW_MS);
}
