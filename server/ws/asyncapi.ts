/**
 * The AsyncAPI 3 document of the WebSocket protocol (docs/asyncapi.json,
 * written by `npm run docs:asyncapi`): both modes, every frame, the handshake
 * and its refusals, and the close codes with their reasons. Payload schemas
 * are generated from zod (frame-schemas.ts) with zod's own JSON Schema
 * output. server/test/asyncapi.test.ts checks the file is this document,
 * valid, and complete against protocol/wire.ts and the server's sources.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/errors.js';
import { SESSION_ID_PATTERN, SESSION_ID_RULE } from '../../protocol/session-id.js';
import { CloseCode, SEQ_MAX, SUBPROTOCOL } from '../../protocol/wire.js';
import { SERVER_FRAME_SCHEMAS } from './frame-schemas.js';
import { PROTOCOL_ERROR } from './session-socket.js';
import { FRAME_SCHEMAS as CLIENT_FRAME_SCHEMAS } from './frames.js';

/** A zod schema as the JSON Schema (draft 7) AsyncAPI's default schema format takes. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return rest;
}

/** Close codes and the catalogue codes their reasons start with (`"<code>: <message>"`); ws's own closes have its reason text. */
export const CLOSE_CODES: Array<{ code: number; name: string; reasons: ErrorCode[]; when: string }> = [
  { code: CloseCode.goingAway, name: 'going away', reasons: ['shutting_down'], when: 'the server shuts down; reconnect shortly' },
  { code: PROTOCOL_ERROR, name: 'protocol error', reasons: ['protocol_violation'], when: 'a frame that breaks the WebSocket protocol (RFC 6455)' },
  { code: CloseCode.unsupportedData, name: 'unsupported data', reasons: ['invalid_frame'], when: 'a binary frame: only text is taken' },
  { code: CloseCode.invalidPayload, name: 'invalid payload', reasons: ['invalid_utf8'], when: 'a text message that is not valid UTF-8; nothing of it is stored' },
  {
    code: CloseCode.policyViolation,
    name: 'policy violation',
    reasons: ['rate_limited', 'session_storage_full', 'message_too_fragmented'],
    when:
      'JSON mode: a client that keeps going past WS_RATE_LIMIT (once what it sent is echoed); text mode: the first message over WS_RATE_LIMIT, ' +
      'or over MAX_SESSION_BYTES; either mode: a message in more fragments or chunks than WS_MAX_FRAGMENTS / WS_MAX_BUFFERED_CHUNKS',
  },
  { code: CloseCode.messageTooBig, name: 'message too big', reasons: ['message_too_large'], when: 'a message over MAX_MESSAGE_BYTES; nothing of it is stored' },
  {
    code: CloseCode.internalError,
    name: 'internal error',
    reasons: ['storage_unavailable', 'internal'],
    when: 'text mode: a message storage could not take (resend after reconnecting); either mode: the replay could not be read',
  },
  { code: CloseCode.sessionDeleted, name: 'session deleted', reasons: ['session_not_found'], when: 'the session was deleted while the socket was open' },
  {
    code: CloseCode.tokenRevoked,
    name: 'token revoked',
    reasons: ['token_revoked'],
    when: 'the token the socket was authorised with was revoked (POST /api/sessions/:id/token), on any node; reconnect with the new token',
  },
];

/** The refusals of an upgrade: an HTTP status and the JSON error body before the 101, by catalogue code. */
export const HANDSHAKE_REFUSALS: ErrorCode[] = [
  'bad_request',
  'invalid_session_id',
  'invalid_handshake',
  'unsupported_subprotocol',
  'invalid_after',
  'invalid_epoch',
  'unauthorized',
  'origin_not_allowed',
  'not_found',
  'session_not_found',
  'method_not_allowed',
  'host_not_allowed',
  'upgrade_required',
  'too_many_connections',
  'too_many_ip_connections',
  'too_many_auth_failures',
  'internal',
  'storage_unavailable',
  'server_full',
  'shutting_down',
];

const textPayload = (description: string) => ({ type: 'string', description });

export function asyncApiDocument(): Record<string, unknown> {
  const frameMessage = (type: string, schema: z.ZodType, summary: string) => ({
    name: type,
    title: `${type} frame`,
    summary,
    contentType: 'application/json',
    payload: jsonSchema(schema),
  });
  const clientMessages = Object.fromEntries(
    Object.entries(CLIENT_FRAME_SCHEMAS).map(([type, schema]) => [`${type}Frame`, frameMessage(type, schema, 'a message to store and fan out; a resent id is not stored twice')]),
  );
  const serverMessages = Object.fromEntries(
    Object.entries(SERVER_FRAME_SCHEMAS).map(([type, schema]) => [`${type}Frame`, frameMessage(type, schema, schema.description ?? type)]),
  );
  const handshake = (json: boolean) => ({
    ws: {
      method: 'GET',
      query: {
        type: 'object',
        properties: {
          token: {
            type: 'string',
            description:
              'the session\'s token (or the Authorization: Bearer header, or the st_<ID> cookie)' +
              (json ? '' : '; with LEGACY_OPEN_SESSIONS a connection without any token is admitted to an existing ID (a wrong one is still 401)'),
          },
          ...(json
            ? {
                after: { type: 'string', pattern: '^\\d{1,10}$', description: `resume: replay every message with a higher seq (0 to ${SEQ_MAX}) before ready` },
                epoch: { type: 'string', description: 'with after: the epoch of the history held; another epoch: reset, then a replay from seq 1' },
              }
            : {}),
        },
      },
      headers: {
        type: 'object',
        properties: {
          'Sec-WebSocket-Protocol': json
            ? { type: 'string', const: SUBPROTOCOL, description: 'JSON mode' }
            : { type: 'string', description: 'absent: text mode (any other subprotocol: 400 unsupported_subprotocol)' },
          Authorization: { type: 'string', description: 'Bearer <token>' },
          Origin: { type: 'string', description: 'a browser\'s page: must be an allowed origin (403 otherwise)' },
        },
      },
      bindingVersion: '0.1.0',
    },
  });
  const idParameter = { id: { description: `the session ID: ${SESSION_ID_RULE} (${SESSION_ID_PATTERN.source})` } };
  const closeCodes = CLOSE_CODES.map(({ code, name, reasons, when }) => ({ code, name, reasons, when }));
  const refusals = HANDSHAKE_REFUSALS.map((code) => ({ code, status: ERROR_CATALOGUE[code].status, summary: ERROR_CATALOGUE[code].summary }));
  const modeDescription = (mode: string) =>
    `${mode} Authorised during the upgrade: a refusal is an HTTP status before the 101 with {"error":{"code","message"}} (x-handshake-refusals). ` +
    'Close codes and their reasons are in x-close-codes.';

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'websocket-session WebSocket protocol',
      version: '1.0.0',
      description:
        'Every message is committed, with the next per-session seq, before its echo is sent: the echo is the acknowledgement. ' +
        'The HTTP API (registration, history, search) is the OpenAPI document at GET /api/openapi.json.',
    },
    servers: {
      websocket: { host: 'localhost:8765', protocol: 'ws', description: 'the WebSocket port (WS_PORT); plain HTTP here is 426 upgrade_required' },
      http: { host: 'localhost:8080', protocol: 'ws', description: 'the HTTP port (HTTP_PORT) answers upgrades on /ws/{id} too' },
    },
    channels: {
      text: {
        address: '/ws/{id}',
        title: 'text mode (no subprotocol)',
        description: modeDescription('The original demo\'s protocol: each text frame is stored and echoed to the sender as one text frame "<ID>: <text>".'),
        parameters: idParameter,
        messages: {
          textMessage: { name: 'text', contentType: 'text/plain', payload: textPayload('any text up to MAX_MESSAGE_BYTES (UTF-8)') },
          textEcho: { name: 'echo', contentType: 'text/plain', payload: textPayload('"<ID>: <text>", sent once the message is committed') },
        },
        bindings: handshake(false),
        'x-close-codes': closeCodes,
        'x-handshake-refusals': refusals,
      },
      json: {
        address: `/ws/{id}#${SUBPROTOCOL}`,
        title: `JSON mode (subprotocol ${SUBPROTOCOL})`,
        description: modeDescription(
          `Offered with Sec-WebSocket-Protocol: ${SUBPROTOCOL} on /ws/{id} (the #${SUBPROTOCOL} only tells the two modes apart here). ` +
            'On connect: with ?after, reset (on an epoch mismatch) and the replay, then ready; then echoes of every JSON connection of the session.',
        ),
        parameters: idParameter,
        messages: { ...clientMessages, ...serverMessages },
        bindings: handshake(true),
        'x-close-codes': closeCodes,
        'x-handshake-refusals': refusals,
      },
    },
    operations: {
      sendText: {
        action: 'receive',
        summary: 'the client sends a text frame',
        channel: { $ref: '#/channels/text' },
        messages: [{ $ref: '#/channels/text/messages/textMessage' }],
        reply: { channel: { $ref: '#/channels/text' }, messages: [{ $ref: '#/channels/text/messages/textEcho' }] },
      },
      ...Object.fromEntries(
        Object.keys(clientMessages).map((name) => [
          `receive${name[0]!.toUpperCase()}${name.slice(1)}`,
          { action: 'receive', summary: 'the client sends a frame', channel: { $ref: '#/channels/json' }, messages: [{ $ref: `#/channels/json/messages/${name}` }] },
        ]),
      ),
      ...Object.fromEntries(
        Object.keys(serverMessages).map((name) => [
          `send${name[0]!.toUpperCase()}${name.slice(1)}`,
          { action: 'send', summary: 'the server sends a frame', channel: { $ref: '#/channels/json' }, messages: [{ $ref: `#/channels/json/messages/${name}` }] },
        ]),
      ),
    },
  };
}
