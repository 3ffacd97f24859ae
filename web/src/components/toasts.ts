import { h } from '../core/dom.js';
import { language, t, type Phrase } from '../i18n.js';

export interface Toasts {
  /** A short note that goes away by itself (or with its close button); the same note is never stacked twice. */
  show(text: Phrase, tone?: 'success' | 'warning' | 'danger'): void;
  destroy(): void;
}

const SHOW_MS = 6000;

/** Notes under the header, where they cover neither the composer nor the newest message; read out by their polite live region. */
export function createToasts(root: HTMLElement): Toasts {
  const shown = new Map<HTMLElement, Phrase>();
  const render = () => {
    for (const [box, text] of shown) {
      box.querySelector('.toast-body')!.textContent = t(text);
      box.querySelector('.btn-close')!.setAttribute('aria-label', t('toast.close'));
    }
  };
  const unsubscribe = language.subscribe(render, false);
  const remove = (box: HTMLElement) => {
    box.remove();
    shown.delete(box);
  };
  return {
    show(text, tone = 'success') {
      for (const [box, other] of shown) if (other.key === text.key) remove(box);
      const close = h('button', { type: 'button', class: `btn-close me-2 m-auto${tone === 'warning' ? '' : ' btn-close-white'}` });
      const box = h('div', { class: `toast show align-items-center border-0 text-bg-${tone}` }, h('div', { class: 'd-flex' }, h('div', { class: 'toast-body' }), close));
      close.addEventListener('click', () => remove(box));
      shown.set(box, text);
      root.append(box);
      render();
      setTimeout(() => remove(box), SHOW_MS);
    },
    destroy: unsubscribe,
  };
}
