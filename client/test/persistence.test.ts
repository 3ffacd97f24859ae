import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tempDir, useTestServer } from '../../server/test/harness.js';
import { fileOutboxStore, fileTokenStore } from '../src/node/index.js';
import { webStorageOutboxStore, webStorageTokenStore, type TokenStore } from '../src/index.js';
import { contiguous, nodeClient, wholeHistory } from './helpers.js';

const t = useTestServer();
const BUILT = resolve(import.meta.dirname, '../dist/client/src/node/index.js');

describe('what outlives the client', () => {
  it('resends, after a SIGKILL of the client process, what it had not seen acknowledged: each message stored once, in order', async () => {
    expect(existsSync(BUILT), 'build the library first: npm run build -w client').toBe(true);
    const state = tempDir();
    try {
      const count = 300;
      const child = spawn(process.execPath, [resolve(import.meta.dirname, 'fixtures/sender.mjs')], {
        env: { ...process.env, BASE_URL: t.server.httpUrl, SESSION_ID: 'p-crash', STATE_DIR: state.dir, COUNT: String(count), FIRST: '20' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
      const lines: string[] = [];
      for await (const line of createInterface({ input: child.stdout! })) lines.push(line);
      expect(await exited).toBe('SIGKILL');
      expect(lines).toEqual(['acked 20']);
      const left = await fileOutboxStore(join(state.dir, 'outbox')).load('p-crash');
      expect(left.length).toBeGreaterThanOrEqual(count - 20);

      // The next process: the same files.
      const client = nodeClient(t.server.httpUrl, {
        tokenStore: fileTokenStore(join(state.dir, 'tokens.json')),
        outboxStore: fileOutboxStore(join(state.dir, 'outbox')),
      });
      expect(await client.open('p-crash')).toMatchObject({ created: false });
      expect(client.pending().map(({ id, text }) => ({ id, text }))).toEqual(left);
      await client.connect();
      const resent = await Promise.all(client.pending().map((p) => p.acknowledged));
      expect(resent.map((m) => m.id)).toEqual(left.map((m) => m.id));
      const stored = await wholeHistory(client);
      expect(stored.map((m) => m.body)).toEqual(Array.from({ length: count }, (_, i) => `crash ${i}`));
      expect(contiguous(stored)).toBe(true);
      await client.close();
      expect(readdirSync(join(state.dir, 'outbox'))).toEqual([]);
    } finally {
      state.remove();
    }
  });

  it('keeps what close() left pending for the next client of the session', async () => {
    const state = tempDir();
    try {
      const stores = () => ({ tokenStore: fileTokenStore(join(state.dir, 'tokens.json')), outboxStore: fileOutboxStore(join(state.dir, 'outbox')) });
      const first = nodeClient(t.server.httpUrl, stores());
      await first.open('p-close');
      const never = first.send('written offline');
      await first.close();
      await expect(never).rejects.toMatchObject({ code: 'client_closed' });
      const second = nodeClient(t.server.httpUrl, stores());
      await second.open('p-close');
      expect(second.pending().map((p) => p.text)).toEqual(['written offline']);
      await second.connect();
      expect(await second.pending()[0]!.acknowledged).toMatchObject({ seq: 1, body: 'written offline' });
    } finally {
      state.remove();
    }
  });

  it('keeps tokens and the outbox in Web Storage, tolerating garbage', async () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
    const tokens = webStorageTokenStore(storage);
    tokens.set('a', 'secret');
    expect(tokens.get('a')).toBe('secret');
    tokens.delete('a');
    expect(tokens.get('a')).toBeNull();
    const outbox = webStorageOutboxStore(storage);
    outbox.save('a', [{ id: 'x', text: 'hello' }]);
    expect(outbox.load('a')).toEqual([{ id: 'x', text: 'hello' }]);
    outbox.save('a', []);
    expect(items.size).toBe(0);
    items.set('websocket-session.outbox.a', '{not json');
    expect(outbox.load('a')).toEqual([]);
    items.set('websocket-session.outbox.a', '[{"id":1},{"id":"y","text":"ok","extra":true}]');
    expect(outbox.load('a')).toEqual([{ id: 'y', text: 'ok' }]);
  });

  it("auth: 'cookie' never holds the token in JS: the server's HttpOnly cookie authorises HTTP and the upgrade", async () => {
    // What a browser does for a same-origin page: keep the cookie, send it back. Node has no cookie jar; this is one.
    const jar = new Map<string, string>();
    const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const browserFetch = async (input: string, init: RequestInit = {}) => {
      const response = await fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() } });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, value] = pair!.split('=') as [string, string];
        if (value) jar.set(name, value);
        else jar.delete(name);
      }
      return response;
    };
    const urls: string[] = [];
    class BrowserWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        urls.push(url);
        super(url, protocols, { headers: { cookie: cookieHeader() } });
      }
    }
    const untouchable: TokenStore = {
      get: () => expect.unreachable('the token store was read'),
      set: () => expect.unreachable('the token store was written'),
      delete: () => expect.unreachable('the token store was written'),
    };
    const client = nodeClient(t.server.httpUrl, { auth: 'cookie', fetch: browserFetch, WebSocket: BrowserWebSocket, tokenStore: untouchable });
    await client.open('p-cookie');
    expect([...jar.keys()]).toEqual(['st_p-cookie']);
    await client.connect();
    expect((await client.send('by cookie')).seq).toBe(1);
    expect((await client.history()).messages).toHaveLength(1);
    expect(urls).toEqual([`${t.server.wsUrl.replace(/:\d+$/, '')}:${new URL(t.server.httpUrl).port}/ws/p-cookie`]);
    // Rejoining from the same "browser" is a 200, on the cookie alone.
    expect(await nodeClient(t.server.httpUrl, { auth: 'cookie', fetch: browserFetch, WebSocket: BrowserWebSocket }).open('p-cookie')).toMatchObject({ created: false });
    await client.delete();
    expect(jar.size).toBe(0);
  });
});
