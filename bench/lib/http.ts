import { Agent, request } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

/** A keep-alive client for one loopback HTTP server. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    maxSockets = 1,
    private readonly host = '127.0.0.1',
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          timeout: 10_000,
          headers: {
            ...headers,
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface Registered {
  id: string;
  token: string;
}

/** Registers `ids` through POST /api/sessions, `concurrency` at a time. */
export async function registerSessions(port: number, ids: readonly string[], concurrency = 8): Promise<Registered[]> {
  const client = new HttpClient(port, concurrency);
  const out: Registered[] = new Array<Registered>(ids.length);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
        while (next < ids.length) {
          const i = next++;
          const res = await client.request('POST', '/api/sessions', { id: ids[i] });
          if (res.status !== 201) throw new Error(`register ${ids[i]}: ${res.status} ${res.body.slice(0, 200)}`);
          out[i] = JSON.parse(res.body) as Registered;
        }
      }),
    );
  } finally {
    client.close();
  }
  return out;
}
