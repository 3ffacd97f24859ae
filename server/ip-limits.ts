import { AppError } from './domain/errors.js';
import type { WindowCount, WindowCounters } from './domain/ports.js';

/**
 * Per-IP limits on rare, costly events (registrations, failed
 * authentications), counted in fixed windows of one minute through the
 * WindowCounter port: in memory on one node, in the shared store of a
 * cluster (PostgreSQL, or Redis with BUS=redis) so that the limit holds for
 * an IP whichever nodes it reaches (server/limits/). (The per-connection
 * message limit is a hand-written TokenBucket: it runs once per message, see
 * domain/rate-limit.ts.)
 */
export const WINDOW_MS = 60_000;

/** The 429 of a used-up limit, with the seconds until the window ends in Retry-After. */
function tooMany(code: 'too_many_registrations' | 'too_many_auth_failures', message: string, count: WindowCount): AppError {
  const seconds = Math.max(1, Math.ceil(count.msLeft / 1000));
  return new AppError(code, `${message}; retry in ${seconds} s`, { 'Retry-After': String(seconds) });
}

export interface RegistrationLimiter {
  /** Counts one registration attempt of `ip`; throws 429 `too_many_registrations` past the limit. */
  take(ip: string): Promise<void>;
}

/** `perMinute` registration attempts per IP, counted by `counters`' `register` counter; 0 disables the limit. */
export function createRegistrationLimiter(perMinute: number, counters: WindowCounters): RegistrationLimiter {
  if (perMinute === 0) return { take: async () => undefined };
  const counter = counters('register', WINDOW_MS);
  return {
    async take(ip) {
      const count = await counter.add(ip, 1);
      if (count.points > perMinute) {
        throw tooMany('too_many_registrations', `at most ${perMinute} registration attempts per minute (refused ones count too)`, count);
      }
    },
  };
}

export interface AuthFailureLimiter {
  /**
   * Runs an authentication of `ip`: refused at once (429
   * `too_many_auth_failures`) while `ip` is over its limit, and counted when
   * it fails (isFailedAuthentication); its error is rethrown. The one way
   * HTTP routes, rejoins and upgrades use the limit.
   */
  guard<T>(ip: string, run: () => Promise<T>): Promise<T>;
}

/**
 * `perMinute` failed authentications per IP (`counters`' `auth_failure`
 * counter); past them, every request that needs a session token (and every
 * WebSocket upgrade) from that IP is 429 until the window ends. A success
 * does not reset the count: a client with one valid token must not be able
 * to clear its record of guesses.
 *
 * Each attempt is counted before it runs, in one atomic add, and a success
 * gives its point back: a check read before the attempt let every attempt
 * in flight at once pass it before any failure was recorded (an attacker's
 * burst over three nodes on a shared store got 135 to 193 guesses past a
 * limit of 30). So a client's concurrent attempts count as failures while
 * they run, and a valid token near the limit may meet a 429 it would not
 * have met after its other attempts ended.
 */
export function createAuthFailureLimiter(perMinute: number, counters: WindowCounters): AuthFailureLimiter {
  if (perMinute === 0) return { guard: (_ip, run) => run() };
  const counter = counters('auth_failure', WINDOW_MS);
  return {
    async guard(ip, run) {
      const count = await counter.add(ip, 1);
      if (count.points > perMinute) {
        throw tooMany('too_many_auth_failures', `at most ${perMinute} failed authentications per minute`, count);
      }
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run();
      } catch (err) {
        if (!isFailedAuthentication(err)) await counter.add(ip, -1);
        throw err;
      }
      await counter.add(ip, -1);
      return result;
    },
  };
}

/** True for the refusals that count as a failed authentication: wrong or missing token, unknown session. */
export function isFailedAuthentication(err: unknown): boolean {
  return err instanceof AppError && (err.code === 'unauthorized' || err.code === 'session_not_found');
}
