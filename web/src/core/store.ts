/**
 * An observable value: `set` replaces it and tells every subscriber, in
 * subscription order. The app's state lives in a few of these (the active
 * session, the language, the open panel) instead of setters fanned out to
 * every component.
 */
export interface Store<T> {
  get(): T;
  set(value: T): void;
  /** Calls `listener` with the current value now (unless `now` is false) and on every change; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void, now?: boolean): () => void;
}

export function store<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      value = next;
      for (const listener of [...listeners]) listener(next);
    },
    subscribe(listener, now = true) {
      listeners.add(listener);
      if (now) listener(value);
      return () => void listeners.delete(listener);
    },
  };
}
