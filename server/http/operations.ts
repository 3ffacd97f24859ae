/**
 * What the OpenAPI document (openapi.ts) says of each route, keyed by
 * `"<METHOD> <koa path>"` as the routers register it. The schemas are the
 * ones the routes validate with (schemas.ts); the error codes are composed
 * from the lists kept next to the code that throws them (json-body.ts,
 * query.ts, session-view.ts). server/test/openapi.test.ts fails for a route
 * registered without an entry here, and for a code a route's source throws
 * that its entry does not list.
 */
import { z } from 'zod';
import type { ErrorCode } from '../../protocol/errors.js';
import { JSON_BODY_ERRORS } from './json-body.js';
import { QUERY_ERRORS } from './query.js';
import {
  exportQuerySchema,
  historyPageSchema,
  pageQuerySchema,
  registeredSessionSchema,
  registrationSchema,
  searchPageSchema,
  searchQuerySchema,
  sessionInfoSchema,
  sessionPathSchema,
  settingsSchema,
  statusSchema,
} from './schemas.js';
import { AUTHORIZED_SESSION_ERRORS } from './session-view.js';

/** What any request can be answered with, before its route runs (app.ts's middleware, Node's parser) or after (a bug). */
export const EVERY_REQUEST_ERRORS = [
  'bad_request',
  'host_not_allowed',
  'origin_not_allowed',
  'method_not_allowed',
  'request_timeout',
  'headers_too_large',
  'expectation_failed',
  'internal',
] as const satisfies readonly ErrorCode[];

export interface Answer {
  description: string;
  /** Body schema by media type; none: no body. */
  content?: Record<string, z.ZodType>;
  /** Response headers, by name: their description. */
  headers?: Record<string, string>;
}

export interface Operation {
  summary: string;
  description?: string;
  tag: 'sessions' | 'history' | 'operations' | 'legacy' | 'documents';
  /** Path parameters (`:id`) and query, as validated. */
  path?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body, as validated. */
  body?: z.ZodType;
  /** Who may call it: anyone, the holder of the session's token, or of METRICS_TOKEN when set. */
  auth: 'none' | 'session' | 'metrics' | 'rejoin';
  /** The answers that are not errors, by status. */
  answers: Record<number, Answer>;
  /** Every error code it can answer, beyond EVERY_REQUEST_ERRORS. */
  errors: readonly ErrorCode[];
}

const json = (schema: z.ZodType) => ({ 'application/json': schema });
const REGISTRATION_ERRORS = ['invalid_session_id', 'session_exists', 'too_many_registrations', 'id_generation_failed', 'storage_unavailable'] as const;

export const OPERATIONS: Record<string, Operation> = {
  'GET /healthz': {
    summary: 'Liveness: the database answers',
    tag: 'operations',
    auth: 'none',
    answers: { 200: { description: 'alive', content: json(statusSchema) } },
    errors: ['unhealthy'],
  },
  'GET /readyz': {
    summary: 'Readiness: a write commits and shutdown has not begun',
    tag: 'operations',
    auth: 'none',
    answers: { 200: { description: 'ready', content: json(statusSchema) } },
    errors: ['draining', 'not_writable'],
  },
  'GET /metrics': {
    summary: 'Prometheus metrics (rendered at most once a second)',
    tag: 'operations',
    auth: 'metrics',
    answers: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': z.string() } } },
    errors: ['unauthorized', 'too_many_auth_failures'],
  },
  'POST /api/sessions': {
    summary: 'Register a session (or rejoin one with its token)',
    description:
      'Creates the session `id` (generated when absent): 201 with its token, also set as the HttpOnly, SameSite=Strict cookie `st_<ID>`. ' +
      'An ID that exists is 200 with the same token (and its cookie) for a request presenting it (Bearer header or cookie; never `?token=`), ' +
      '401 for one presenting another token (a revoked link or cookie), else 409.',
    tag: 'sessions',
    auth: 'rejoin',
    body: registrationSchema,
    answers: {
      201: { description: 'created', content: json(registeredSessionSchema), headers: { Location: 'the session, /api/sessions/<ID>', 'Set-Cookie': 'st_<ID>=<token>' } },
      200: { description: 'rejoined: the token presented is the session\'s', content: json(registeredSessionSchema) },
    },
    errors: [...JSON_BODY_ERRORS, ...REGISTRATION_ERRORS, 'unauthorized'],
  },
  'POST /api/sessions/:id/token': {
    summary: 'Revoke the session\'s token: a new one replaces it',
    description:
      'Answers the new token, also set as the caller\'s cookie. The old token is 401 everywhere from then on (links, cookies, clients), and once ' +
      'this answer is out every socket authorised with it is closed with 4002 `token_revoked`, on every node. Of two concurrent revocations ' +
      'with the same token one wins, the other is 401.',
    tag: 'sessions',
    auth: 'session',
    path: sessionPathSchema,
    answers: {
      200: { description: 'the new token', content: json(registeredSessionSchema), headers: { 'Set-Cookie': 'st_<ID>=<new token>' } },
    },
    errors: AUTHORIZED_SESSION_ERRORS,
  },
  'GET /stream': {
    summary: 'The original demo\'s registration: creates `id` like the POST',
    description:
      'An ID that exists is 409 for everyone, token or not, and no cookie is set. HEAD is 405. With LEGACY_OPEN_SESSIONS, an allowed Origin gets ' +
      '`Access-Control-Allow-Origin` (the demo page\'s cross-origin fetch).',
    tag: 'legacy',
    auth: 'none',
    query: registrationSchema,
    answers: {
      201: {
        description: 'created',
        content: json(registeredSessionSchema),
        headers: { 'Set-Cookie': 'st_<ID>=<token>', 'Access-Control-Allow-Origin': 'LEGACY_OPEN_SESSIONS: the request\'s Origin, when allowed' },
      },
    },
    errors: REGISTRATION_ERRORS,
  },
  'GET /api/sessions/:id': {
    summary: 'A session: its last seq and its retention',
    tag: 'sessions',
    auth: 'session',
    path: sessionPathSchema,
    answers: { 200: { description: 'the session', content: json(sessionInfoSchema) } },
    errors: AUTHORIZED_SESSION_ERRORS,
  },
  'PATCH /api/sessions/:id': {
    summary: 'Set the session\'s own retention (tighter than the deployment\'s, never looser)',
    tag: 'sessions',
    auth: 'session',
    path: sessionPathSchema,
    body: settingsSchema,
    answers: { 200: { description: 'the session as changed', content: json(sessionInfoSchema) } },
    errors: [...AUTHORIZED_SESSION_ERRORS, ...JSON_BODY_ERRORS],
  },
  'DELETE /api/sessions/:id': {
    summary: 'Delete the session: its history, its token, its open sockets (closed with 4001)',
    tag: 'sessions',
    auth: 'session',
    path: sessionPathSchema,
    answers: { 204: { description: 'deleted' } },
    errors: AUTHORIZED_SESSION_ERRORS,
  },
  'GET /api/sessions/:id/messages': {
    summary: 'A page of history, the newest first; the next older one is ?before=<first seq of this one>',
    tag: 'history',
    auth: 'session',
    path: sessionPathSchema,
    query: pageQuerySchema,
    answers: { 200: { description: 'a page, ascending by seq', content: json(historyPageSchema) } },
    errors: [...AUTHORIZED_SESSION_ERRORS, ...QUERY_ERRORS],
  },
  'GET /api/sessions/:id/search': {
    summary: 'Full-text search in the session (bm25 ranking, accents folded, the last word a prefix)',
    tag: 'history',
    auth: 'session',
    path: sessionPathSchema,
    query: searchQuerySchema,
    answers: { 200: { description: 'best matches first', content: json(searchPageSchema) } },
    // search_timeout: past the search's time budget (the store's search worker), with Retry-After.
    errors: [...AUTHORIZED_SESSION_ERRORS, ...QUERY_ERRORS, 'search_timeout'],
  },
  'GET /api/sessions/:id/export': {
    summary: 'The whole history as a download (NDJSON, exact; or CSV with formula cells escaped)',
    tag: 'history',
    auth: 'session',
    path: sessionPathSchema,
    query: exportQuerySchema,
    answers: {
      200: {
        description: 'streamed; one HistoryMessage per NDJSON line, or CSV rows seq,id,at,body',
        content: { 'application/x-ndjson': z.string(), 'text/csv': z.string() },
        headers: { 'Content-Disposition': 'attachment; filename="<ID>-history.<format>"' },
      },
    },
    errors: [...AUTHORIZED_SESSION_ERRORS, ...QUERY_ERRORS],
  },
  'GET /api/openapi.json': {
    summary: 'This document (OpenAPI 3.1)',
    tag: 'documents',
    auth: 'none',
    answers: { 200: { description: 'the OpenAPI document', content: json(z.object({ openapi: z.literal('3.1.0') }).loose()) } },
    errors: [],
  },
};
