import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isErrorCode } from '../../protocol/errors.js';
import { CloseCode } from '../../protocol/wire.js';
import { UPGRADE_ONLY } from '../http/openapi.js';
import { asyncApiDocument } from '../ws/asyncapi.js';
import { SERVER_FRAME_SCHEMAS } from '../ws/frame-schemas.js';
import { register, useTestServer } from './harness.js';

/**
 * Issue 15 point 5: docs/asyncapi.json is the document the code generates,
 * valid AsyncAPI 3 by @asyncapi/parser, and complete: every frame type of
 * protocol/wire.ts, every close code the server uses with the reasons it
 * gives, every handshake query parameter and refusal, read from the sources.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
const serverWs = readdirSync(resolve(ROOT, 'server/ws')).filter((f) => f.endsWith('.ts')).map((f) => read(`server/ws/${f}`)).join('\n');

interface Channel {
  messages: Record<string, { name: string; payload: { type?: string; properties?: { type?: { const?: string } } } }>;
  bindings: { ws: { query: { properties: Record<string, unknown> } } };
  'x-close-codes': Array<{ code: number; reasons: string[] }>;
  'x-handshake-refusals': Array<{ code: string; status: number }>;
}
const doc = JSON.parse(read('docs/asyncapi.json')) as { channels: { text: Channel; json: Channel } };

describe('docs/asyncapi.json', () => {
  const t = useTestServer({}, 'all');

  it('is what the code generates (npm run docs:asyncapi)', () => {
    expect(doc).toEqual(asyncApiDocument());
  });

  it('is valid AsyncAPI 3 by @asyncapi/parser, without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(read('docs/asyncapi.json'));
    // Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toMatch(/^3\./);
    expect(document?.channels().all().map((c) => c.id()).sort()).toEqual(['json', 'text']);
  });

  it('has both modes and every frame type of protocol/wire.ts, each payload naming its type', () => {
    const frameTypes = [...read('protocol/wire.ts').matchAll(/^\s+type: '(\w+)';$/gm)].map((m) => m[1]!);
    expect(frameTypes.length).toBeGreaterThanOrEqual(6);
    const json = Object.values(doc.channels.json.messages);
    for (const type of frameTypes) {
      const message = json.find((m) => m.name === type);
      expect(message, type).toBeDefined();
      expect(message!.payload.properties?.type?.const, type).toBe(type);
    }
    expect(json.map((m) => m.name).sort()).toEqual([...frameTypes].sort());
    expect(Object.values(doc.channels.text.messages).every((m) => m.payload.type === 'string')).toBe(true);
  });

  it('describes the frames a real server sends: each parses, strictly, with the schema its payload is generated from', async () => {
    const { token } = await register(t.server, 'frames');
    const first = await t.connect('frames', { json: true, token });
    const received: Array<Record<string, unknown>> = [await first.nextJson()];
    first.send({ type: 'send', id: 'm1', text: 'hello' });
    received.push(await first.nextJson());
    first.send('{');
    received.push(await first.nextJson());
    const resumed = await t.connect('frames', { json: true, token, query: { after: '0', epoch: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    for (let i = 0; i < 3; i++) received.push(await resumed.nextJson());
    expect(received.map((f) => f.type)).toEqual(['ready', 'echo', 'error', 'reset', 'echo', 'ready']);
    for (const frame of received) {
      const schema = SERVER_FRAME_SCHEMAS[frame.type as keyof typeof SERVER_FRAME_SCHEMAS].strict();
      expect(schema.safeParse(frame).error, JSON.stringify(frame)).toBeUndefined();
    }
  });

  it('has every close code the server uses, with the reasons it closes with', () => {
    const documented = new Map(doc.channels.text['x-close-codes'].map((c) => [c.code, c.reasons]));
    expect(doc.channels.json['x-close-codes']).toEqual(doc.channels.text['x-close-codes']);
    for (const code of Object.values(CloseCode)) expect(documented.has(code), String(code)).toBe(true);
    const closes = [...serverWs.matchAll(/(?:close|closeAfterCommits)\(CloseCode\.(\w+),([^\n]*)/g)];
    expect(closes.length).toBeGreaterThanOrEqual(6);
    // The reasons session-socket.ts gives ws's own closes: `[CloseCode.x]: ['code', ...]` (1002 is PROTOCOL_ERROR there).
    const filled = [...read('server/ws/session-socket.ts').matchAll(/\[(?:CloseCode\.)?(\w+)\]: \['([a-z0-9_]+)'/g)];
    expect(filled.length).toBe(4);
    for (const [, name, reason] of filled) {
      const code = name === 'PROTOCOL_ERROR' ? 1002 : CloseCode[name as keyof typeof CloseCode];
      expect(documented.get(code), `${code} ${reason}`).toContain(reason);
    }
    for (const [, name, rest] of closes) {
      const code = CloseCode[name as keyof typeof CloseCode];
      for (const [, reason] of rest!.matchAll(/'([a-z_]+)'/g)) {
        if (isErrorCode(reason)) expect(documented.get(code), `${code} ${reason}`).toContain(reason);
      }
    }
  });

  it('has every handshake query parameter the upgrade reads, and every refusal with its status', () => {
    const params = [...(read('server/ws/upgrade.ts') + read('server/auth.ts')).matchAll(/query\??\.get\('(\w+)'\)/g)].map((m) => m[1]!);
    expect(params.sort()).toEqual(['after', 'epoch', 'token']);
    for (const param of params) expect(doc.channels.json.bindings.ws.query.properties, param).toHaveProperty(param);
    expect(doc.channels.text.bindings.ws.query.properties).toHaveProperty('token');

    const refusals = new Map(doc.channels.json['x-handshake-refusals'].map((r) => [r.code, r.status]));
    const thrown = [...read('server/ws/upgrade.ts').matchAll(/'([a-z_]+)'/g), ...read('server/ws/hub.ts').matchAll(/AppError\('([a-z_]+)'/g)].map((m) => m[1]!);
    for (const code of [...thrown.filter(isErrorCode), ...UPGRADE_ONLY]) expect(refusals.get(code), code).toBe(ERROR_CATALOGUE[code].status);
    for (const [code, status] of refusals) expect(status, code).toBe(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status);
  });
});
