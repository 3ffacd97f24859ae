/**
 * Benchmark variant (b), the ceiling: a plain `ws` server that echoes each
 * text frame as "<ID>: <text>" on /ws/{ID}, with no auth and no persistence.
 * Open sockets die with the process: nothing needs flushing on stop.
 */
import { startEchoServer } from './echo-server.js';

startEchoServer((ws, id, body) => ws.send(`${id}: ${body}`));
