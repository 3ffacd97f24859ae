import { request } from 'node:http';

/**
 * A request from a chosen client IP: every address of 127.0.0.0/8 reaches
 * a server on 127.0.0.1, so per-IP limits can be tested with `localAddress`.
 */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request from `from` to the server: an HTTP request, or a WebSocket upgrade (101 when accepted). */
export function requestFrom(
  from: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; upgrade?: boolean; body?: string } = {},
): Promise<Answer> {
  const upgradeHeaders = options.upgrade
    ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
    : {};
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws/, 'http'), { method: options.method ?? 'GET', localAddress: from, headers: { ...upgradeHeaders, ...options.headers } });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

