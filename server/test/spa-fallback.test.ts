import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, startTestServer, tempDir } from './harness.js';

describe('the app routes', () => {
  it('serves index.html for /s/<ID> (deep links, reloads), and nothing else that does not exist', async () => {
    const folder = tempDir();
    const staticDir = join(folder.dir, 'static');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>the app</title>');
    const server = await startTestServer(folder.dir, { staticDir });
    try {
      for (const path of ['/s/0101', '/s/team-chat/', '/s/%C3%A9t%C3%A9']) {
        const res = await api(server, path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(await res.text()).toContain('<title>the app</title>');
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      }
      // Only the app's own route shape: other paths, and other methods, are not the app.
      for (const path of ['/s/', '/s/a/b', '/sessions/0101', '/s']) expect((await api(server, path)).status, path).toBe(404);
      expect((await api(server, '/s/0101', { method: 'POST' })).status).not.toBe(200);
      // The API keeps its own answers.
      const apiAnswer = await api(server, '/api/sessions/0101');
      expect(apiAnswer.status).toBe(404);
      expect(await apiAnswer.json()).toMatchObject({ error: { code: 'session_not_found' } });
    } finally {
      await server.close();
      folder.remove();
    }
  });
});
