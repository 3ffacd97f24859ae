import type { BusHandler, DomainLogger, MessageBus } from '../domain/ports.js';

/**
 * The in-process bus: `publish` calls every subscriber synchronously, in
 * subscription order, before it returns, so a commit's fan-out happens in
 * the commit's own turn (one write per socket for all its echoes). A handler
 * that throws is logged and does not keep the event from the others.
 */
export function createLocalBus(logger: DomainLogger): MessageBus {
  // Copied on change, so a handler added or removed during a publish takes effect from the next one.
  let handlers: readonly BusHandler[] = [];
  return {
    publish(event) {
      for (const handler of handlers) {
        try {
          handler(event);
        } catch (err) {
          logger.error({ err, event: event.type }, 'bus handler failed');
        }
      }
    },
    subscribe(handler) {
      handlers = [...handlers, handler];
      return () => {
        handlers = handlers.filter((h) => h !== handler);
      };
    },
    async close() {
      handlers = [];
    },
  };
}
