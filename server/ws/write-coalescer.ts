import type { Duplex } from 'node:stream';

/**
 * Coalesces writes: every frame sent to a socket during one synchronous run
 * (a group commit's echoes, a replay chunk) leaves in a single writev when
 * the run ends, instead of one syscall per frame. Under load a commit carries
 * many echoes per connection, so this saves most of the per-echo write cost.
 *
 * `afterWrite` runs once the coalesced write has been handed to the kernel:
 * only then does `bufferedAmount` tell what the peer really left unread
 * (while corked it counts the whole run's output, however fast the peer reads).
 */
export function createWriteCoalescer() {
  const corked = new Map<Duplex, (() => void) | undefined>();
  const release = (): void => {
    const held = [...corked];
    corked.clear();
    for (const [socket] of held) socket.uncork();
    for (const [, afterWrite] of held) afterWrite?.();
  };
  return {
    /**
     * Holds the writes of `socket` (the connection's own, as the upgrade
     * handed it over) until the current run of code ends, then calls `afterWrite`.
     */
    hold(socket: Duplex, afterWrite?: () => void): void {
      if (corked.has(socket)) {
        if (afterWrite && !corked.get(socket)) corked.set(socket, afterWrite);
        return;
      }
      if (corked.size === 0) process.nextTick(release);
      socket.cork();
      corked.set(socket, afterWrite);
    },
  };
}

export type WriteCoalescer = ReturnType<typeof createWriteCoalescer>;
