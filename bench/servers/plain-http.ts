/**
 * The floor of the history target: a bare node:http server answering every
 * request with one constant small JSON body (Content-Length, keep-alive), so
 * a round trip through it is what this machine allows for any HTTP request.
 * Prints {"port":N} when listening; SIGTERM/SIGINT stop it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PLAIN_HTTP_BODY } from '../lib/server-process.js';

const body = Buffer.from(PLAIN_HTTP_BODY);
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };

const server = createServer((req, res) => {
  // Drain any request body; GETs carry none.
  req.resume();
  res.writeHead(200, headers);
  res.end(body);
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});

// Open sockets die with the process: nothing here needs flushing.
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
