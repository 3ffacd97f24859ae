/** What every component returns: created with its root element and its dependencies, and removable (HMR swaps it). */
export interface Component {
  destroy(): void;
}

/** The panel open over (phones) or beside (desktop) the conversation. */
export type Panel = 'none' | 'sessions' | 'search';

/** Collects unsubscribe functions and listeners to undo in destroy(). */
export function disposer(): { add(undo: () => void): void; on<K extends keyof HTMLElementEventMap>(target: EventTarget, type: K | string, listener: (event: HTMLElementEventMap[K]) => void): void; destroy(): void } {
  const undos: Array<() => void> = [];
  return {
    add: (undo) => void undos.push(undo),
    on(target, type, listener) {
      target.addEventListener(type, listener as EventListener);
      undos.push(() => target.removeEventListener(type, listener as EventListener));
    },
    destroy: () => undos.splice(0).forEach((undo) => undo()),
  };
}
