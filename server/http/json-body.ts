import coBody from 'co-body';
import type Koa from 'koa';
import type { ErrorCode } from '../../protocol/errors.js';
import { AppError } from '../domain/errors.js';

/** What readJsonBody can answer (the API document lists them for every route with a body). */
export const JSON_BODY_ERRORS = ['unsupported_media_type', 'payload_too_large', 'invalid_json', 'invalid_body', 'undecodable_body'] as const satisfies readonly ErrorCode[];

/**
 * The JSON body of a request, or undefined when it has none. Anything but
 * application/json is 415 (so is a Content-Encoding other than gzip, deflate
 * or br), a body over the limit 413 (counted decoded), malformed JSON 400, a
 * body that does not decode as its Content-Encoding says 400.
 */
export async function readJsonBody(ctx: Koa.Context, limitBytes: number): Promise<unknown> {
  const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
  if (!hasBody) return undefined;
  if (!ctx.is('application/json')) {
    throw new AppError('unsupported_media_type', 'send the request body as application/json');
  }
  try {
    return await coBody.json(ctx, { limit: limitBytes, strict: true });
  } catch (err) {
    // raw-body's own errors carry a status and a type; co-body's JSON parse errors a status only.
    const { status, type } = err as { status?: number; type?: string };
    if (status === 413) {
      throw new AppError('payload_too_large', `request body is larger than ${limitBytes} bytes`);
    }
    // bourne (co-body's parser) refuses a valid JSON object with a `__proto__` key: the body is JSON, its content is what is refused.
    if (status === 400 && type === undefined && /forbidden prototype property/.test((err as Error).message)) {
      throw new AppError('invalid_body', 'a JSON key named __proto__ is not accepted');
    }
    if (status === 400 && type === undefined) throw new AppError('invalid_json', 'request body is not valid JSON');
    // zlib fails on a body that is not what Content-Encoding says, with no HTTP status.
    if (status === undefined && ctx.get('content-encoding') !== '') {
      throw new AppError('undecodable_body', `request body is not ${ctx.get('content-encoding')} as its Content-Encoding says`);
    }
    throw err;
  }
}
