import { h, icon } from '../core/dom.js';

let next = 0;

/**
 * A menu button and its popover (the Popover API: Escape and a click
 * outside close it, the browser keeps it on top). It opens under its button,
 * aligned to the button's end, and puts the focus on its first control.
 */
export function popoverMenu(iconPath: string, stroke?: number): { button: HTMLButtonElement; pop: HTMLDivElement } {
  const id = `popover-${++next}`;
  const pop = h('div', { id, popover: 'auto', class: 'menu shadow' });
  const button = h('button', { type: 'button', class: 'btn btn-icon', popovertarget: id }, icon(iconPath, stroke));
  pop.addEventListener('toggle', (event) => {
    if ((event as ToggleEvent).newState !== 'open') return;
    const rect = button.getBoundingClientRect();
    pop.style.top = `${rect.bottom + 4}px`;
    pop.style.right = `${Math.max(8, document.documentElement.clientWidth - rect.right)}px`;
    pop.querySelector<HTMLElement>('a[href], button:not([disabled]), select')?.focus();
  });
  // Picking an item closes the menu (selects stay open to be changed).
  pop.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a, button')) pop.hidePopover();
  });
  return { button, pop };
}
