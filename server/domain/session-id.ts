import { randomBytes } from 'node:crypto';
import { SESSION_ID_RULE, isValidSessionId } from '../../protocol/session-id.js';
import { badRequest } from './errors.js';

/** Returns the ID if it follows the rule, else throws the 400 that names the rule. */
export function requireSessionId(value: unknown): string {
  if (isValidSessionId(value)) return value;
  throw badRequest('invalid_session_id', `invalid session ID: ${SESSION_ID_RULE}`);
}

/** 16 characters of base64url: 96 random bits, inside the ID alphabet by construction. */
export function generateSessionId(): string {
  return randomBytes(12).toString('base64url');
}
