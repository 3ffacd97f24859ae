import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Coalesces writes: every frame sent to a socket during one synchronous run
 * (a group commit's echoes, a replay chunk) leaves in a single writev when
 * the run ends, instead of one syscall per frame. Under load a commit carries
 * many echoes per connection, so this saves most of the per-echo write cost.
 */
export function createWriteCoalescer() {
  const corked = new Set<Socket>();
  const release = (): void => {
    for (const socket of corked) socket.uncork();
    corked.clear();
  };
  return {
    /** Holds this socket's writes until the current run of code ends. */
    hold(ws: WebSocket): void {
      // ws keeps its net.Socket private; it has been `_socket` throughout ws 8.
      const socket = (ws as unknown as { _socket?: Socket })._socket;
      if (!socket || corked.has(socket)) return;
      if (corked.size === 0) process.nextTick(release);
      socket.cork();
      corked.add(socket);
    },
  };
}

export type WriteCoalescer = ReturnType<typeof createWriteCoalescer>;
