import type { disposer } from './types.js';

/**
 * Makes a `<dialog>` shown with showModal() behave as the app's dialogs do:
 * Tab and Shift+Tab cycle through `controls` (the focus never leaves), and
 * Escape or a click on the backdrop calls `dismiss`.
 */
export function modal(dialog: HTMLDialogElement, d: ReturnType<typeof disposer>, controls: () => HTMLElement[], dismiss: () => void): void {
  d.on(dialog, 'cancel', (event) => {
    event.preventDefault();
    dismiss();
  });
  // A click on the backdrop lands on the dialog element itself.
  d.on(dialog, 'click', (event) => event.target === dialog && dismiss());
  d.on(dialog, 'keydown', (event: KeyboardEvent) => {
    if (event.key !== 'Tab') return;
    const list = controls().filter((c) => !(c as HTMLButtonElement).disabled);
    const at = list.indexOf(document.activeElement as HTMLElement);
    event.preventDefault();
    list.at((at + (event.shiftKey ? -1 : 1)) % list.length)?.focus();
  });
}
