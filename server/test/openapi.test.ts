import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from '../../protocol/errors.js';
import { JSON_BODY_ERRORS } from '../http/json-body.js';
import { UPGRADE_ONLY } from '../http/openapi.js';
import { EVERY_REQUEST_ERRORS, OPERATIONS } from '../http/operations.js';
import { QUERY_ERRORS } from '../http/query.js';
import { AUTHORIZED_SESSION_ERRORS } from '../http/session-view.js';
import { api, useTestServer } from './harness.js';

/**
 * Issue 15 point 5: GET /api/openapi.json is valid OpenAPI 3.1 and covers
 * every route the routers registered, with every status and error code each
 * can answer. The lists come from the code: the routers' stacks, the route
 * files' sources, the catalogue, and the server's real answers.
 */
const SERVER = resolve(import.meta.dirname, '..');
const source = (path: string) => readFileSync(resolve(SERVER, path), 'utf8');

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: ErrorSchema }> }> }>>;
  components: { responses: Record<string, { content: Record<string, { schema: ErrorSchema }> }> };
};
type ErrorSchema = { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } };

/** Helpers whose call answers with the codes listed next to them. */
const HELPER_CODES: Record<string, readonly ErrorCode[]> = {
  requireAuthorizedSession: AUTHORIZED_SESSION_ERRORS,
  parseQuery: QUERY_ERRORS,
  readJsonBody: JSON_BODY_ERRORS,
  methodNotAllowed: ['method_not_allowed'],
  unauthorized: ['unauthorized'],
};

/** The catalogue codes a piece of source can answer: quoted codes and calls of the helpers above. */
function codesIn(text: string): Set<ErrorCode> {
  const codes = new Set<ErrorCode>();
  for (const [, word] of text.matchAll(/'([a-z_]+)'/g)) if (isErrorCode(word) && ERROR_CATALOGUE[word].status !== null) codes.add(word);
  for (const [helper, list] of Object.entries(HELPER_CODES)) if (new RegExp(`\\b${helper}\\(`).test(text)) list.forEach((c) => codes.add(c));
  return codes;
}

const t = useTestServer({}, 'all');

async function fetchDoc(): Promise<Doc> {
  const res = await api(t.server, '/api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Doc;
}

const openApiPath = (koaPath: string) => koaPath.replace(/:(\w+)/g, '{$1}');

/** Every code an operation documents, by the status it is documented under. */
function documentedCodes(doc: Doc, method: string, path: string): Map<ErrorCode, number> {
  const op = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
  const codes = new Map<ErrorCode, number>();
  for (const [status, answer] of Object.entries(op?.responses ?? {})) {
    for (const code of answer.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum ?? []) codes.set(code as ErrorCode, Number(status));
  }
  return codes;
}

describe('GET /api/openapi.json', () => {
  it('is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('has an operation for every route the routers registered, and none for a route that is not', async () => {
    const doc = await fetchDoc();
    const routes = t.server.httpRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(12);
    const registered = routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(documented).toEqual(registered);
    expect(Object.keys(OPERATIONS).sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('documents each error code under its catalogue status, on every route that can answer it by its source', async () => {
    const doc = await fetchDoc();
    // What the middleware in front of every route throws; `not_found` is the answer of a path no route serves.
    const everywhere = new Set(['http/app.ts', 'http/methods.ts', 'http/errors.ts', 'host-policy.ts'].flatMap((f) => [...codesIn(source(f))]));
    everywhere.delete('not_found');
    expect([...everywhere].filter((c) => !(EVERY_REQUEST_ERRORS as readonly string[]).includes(c))).toEqual([]);
    // The lists kept next to the helpers hold every code their source throws.
    expect([...codesIn(source('http/json-body.ts'))].filter((c) => !(JSON_BODY_ERRORS as readonly string[]).includes(c))).toEqual([]);
    expect([...codesIn(source('http/query.ts'))].filter((c) => !(QUERY_ERRORS as readonly string[]).includes(c))).toEqual([]);
    const authorise = /async authorise\([\s\S]*?\n {4}\},/.exec(source('domain/session-service.ts'))![0];
    const sessionCodes = [...codesIn(authorise), ...codesIn(source('domain/session-id.ts')), ...codesIn(source('http/auth-throttle.ts'))];
    expect(sessionCodes.filter((c) => !(AUTHORIZED_SESSION_ERRORS as readonly string[]).includes(c))).toEqual([]);

    const routes = t.server.httpRoutes();
    for (const file of readdirSync(resolve(SERVER, 'http/routes'))) {
      const text = source(`http/routes/${file}`);
      // Each handler: from its router.<method>('<path>' to the next one.
      const handlers = [...text.matchAll(/router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)];
      expect(handlers.length, file).toBeGreaterThan(0);
      const fileCodes = new Set<ErrorCode>();
      handlers.forEach((match, i) => {
        const body = text.slice(match.index, handlers[i + 1]?.index ?? text.length);
        const method = match[1]!.toUpperCase();
        expect(routes, `${method} ${match[2]} is registered`).toContainEqual({ method, path: match[2] });
        const documented = documentedCodes(doc, method, match[2]!);
        for (const code of [...codesIn(body), ...everywhere]) expect(documented.has(code), `${method} ${match[2]}: ${code}`).toBe(true);
        documented.forEach((_, code) => fileCodes.add(code));
      });
      // Codes thrown by the file's own helpers (outside any one handler) are documented on one of its routes at least.
      for (const code of codesIn(text)) expect(fileCodes.has(code), `${file}: ${code}`).toBe(true);
    }

    for (const { method, path } of routes) {
      for (const [code, status] of documentedCodes(doc, method, path)) expect(status, `${method} ${path} ${code}`).toBe(ERROR_CATALOGUE[code].status);
    }
  });

  it('has every HTTP error code of the catalogue, by status, except those only a WebSocket upgrade answers', async () => {
    const doc = await fetchDoc();
    const all = new Map<string, number>();
    for (const [status, answer] of Object.entries(doc.components.responses)) {
      for (const code of answer.content['application/json']!.schema.properties!.error!.properties!.code!.enum!) all.set(code, Number(status));
    }
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      if (entry.status === null || UPGRADE_ONLY.has(code as ErrorCode)) expect(all.has(code), code).toBe(false);
      else expect(all.get(code), code).toBe(entry.status);
    }
  });

  it('documents what each route really answers to a request it refuses', async () => {
    const doc = await fetchDoc();
    const refusals: Array<[string, Record<string, string>]> = [
      ['nobody', {}],
      ['not%20an%20id', {}],
      ['nobody', { authorization: `Bearer ${'A'.repeat(43)}` }],
      ['nobody', { origin: 'http://evil.example' }],
      ['nobody', { host: 'evil.example' }],
      ['nobody', { 'content-type': 'text/plain' }],
    ];
    const expectDocumented = async (method: string, path: string, res: Response, what: string) => {
      if (res.status < 400) return;
      const { error } = (await res.json()) as { error: { code: ErrorCode } };
      expect(documentedCodes(doc, method, path).get(error.code), `${method} ${path} ${what}: ${res.status} ${error.code}`).toBe(res.status);
    };
    for (const { method, path } of t.server.httpRoutes()) {
      for (const [id, headers] of refusals) {
        const res = await api(t.server, path.replace(':id', id), { method, headers, body: method === 'GET' || method === 'DELETE' ? undefined : 'x' });
        await expectDocumented(method, path, res, JSON.stringify(headers));
      }
    }
    // A taken ID, by both registrations.
    await api(t.server, '/stream?id=taken');
    await expectDocumented('GET', '/stream', await api(t.server, '/stream?id=taken'), 'taken');
    const post = { method: 'POST', headers: { 'content-type': 'application/json' } };
    await expectDocumented('POST', '/api/sessions', await api(t.server, '/api/sessions', { ...post, body: '{"id":"taken"}' }), 'taken');
    await expectDocumented('POST', '/api/sessions', await api(t.server, '/api/sessions', { ...post, body: '[1]' }), 'array');
    await expectDocumented('POST', '/api/sessions', await api(t.server, '/api/sessions', { ...post, body: '{' }), 'bad JSON');
  });
});
