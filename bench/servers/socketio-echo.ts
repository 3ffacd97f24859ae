/**
 * Benchmark peer (d): Socket.IO 4 as people deploy it for chat, websocket
 * transport only, nothing stored (see socketio-server.ts).
 */
import { startSocketIoEcho } from './socketio-server.js';

startSocketIoEcho({});
