/**
 * Benchmark peer (e): (d) with connection-state recovery on (Socket.IO >=
 * 4.6), its defaults: every emitted event is kept in memory for two minutes
 * for a reconnecting client, and carries its offset as a last argument, so
 * the echo reads 42["message","<ID>: <text>","<offset>"]. Still nothing on
 * disk.
 */
import { startSocketIoEcho } from './socketio-server.js';

startSocketIoEcho({ connectionStateRecovery: {} });
