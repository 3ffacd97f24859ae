import type { RateLimiterRes as RateLimiterResult } from 'rate-limiter-flexible';
// The two files needed, not the index that loads every store (see types/rate-limiter-flexible-lib.d.ts).
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import { AppError } from './domain/errors.js';

/**
 * Per-IP limits on rare, costly events (registrations, failed
 * authentications), counted by rate-limiter-flexible in fixed windows of one
 * minute. In memory, so per process for now; the library's PostgreSQL and
 * Redis stores take the same calls when the limits must hold across a
 * cluster. (The per-connection message limit is a hand-written TokenBucket:
 * it runs once per message, see domain/rate-limit.ts.)
 *
 * Memory: one small entry per IP seen in the current window, dropped when
 * the window ends.
 */
const WINDOW_SECONDS = 60;

/** The 429 of a used-up limit, with the seconds until the window ends in Retry-After. */
function tooMany(code: 'too_many_registrations' | 'too_many_auth_failures', message: string, res: RateLimiterResult): AppError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError(code, `${message}; retry in ${seconds} s`, { 'Retry-After': String(seconds) });
}

export interface RegistrationLimiter {
  /** Counts one registration attempt of `ip`; throws 429 `too_many_registrations` past the limit. */
  take(ip: string): Promise<void>;
}

/** `perMinute` registration attempts per IP; 0 disables the limit. */
export function createRegistrationLimiter(perMinute: number): RegistrationLimiter {
  if (perMinute === 0) return { take: async () => undefined };
  const limiter = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  return {
    async take(ip) {
      try {
        await limiter.consume(ip);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        throw tooMany('too_many_registrations', `at most ${perMinute} registration attempts per minute (refused ones count too)`, res);
      }
    },
  };
}

export interface AuthFailureLimiter {
  /** Throws 429 `too_many_auth_failures` while `ip` has used up its failed authentications. */
  check(ip: string): Promise<void>;
  /** Counts one failed authentication (401, or 404 for an unknown session) of `ip`. */
  failed(ip: string): Promise<void>;
  /**
   * Runs an authentication of `ip`: refused at once (429) while `ip` is over
   * its limit, and counted when it fails (isFailedAuthentication); its error
   * is rethrown. The one way HTTP routes, rejoins and upgrades use the limit.
   */
  guard<T>(ip: string, run: () => Promise<T>): Promise<T>;
}

/**
 * `perMinute` failed authentications per IP; past them, every request that
 * needs a session token (and every WebSocket upgrade) from that IP is 429
 * until the window ends. A success does not reset the count: a client with
 * one valid token must not be able to clear its record of guesses.
 */
export function createAuthFailureLimiter(perMinute: number): AuthFailureLimiter {
  if (perMinute === 0) return { check: async () => undefined, failed: async () => undefined, guard: (_ip, run) => run() };
  const limiter = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  const self: AuthFailureLimiter = {
    async guard(ip, run) {
      await self.check(ip);
      try {
        return await run();
      } catch (err) {
        if (isFailedAuthentication(err)) await self.failed(ip);
        throw err;
      }
    },
    async check(ip) {
      const res = await limiter.get(ip);
      if (res && res.consumedPoints >= perMinute) {
        throw tooMany('too_many_auth_failures', `at most ${perMinute} failed authentications per minute`, res);
      }
    },
    async failed(ip) {
      // penalty() counts without ever rejecting.
      await limiter.penalty(ip, 1);
    },
  };
  return self;
}

/** True for the refusals that count as a failed authentication: wrong or missing token, unknown session. */
export function isFailedAuthentication(err: unknown): boolean {
  return err instanceof AppError && (err.code === 'unauthorized' || err.code === 'session_not_found');
}
