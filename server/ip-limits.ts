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

/** Longest an authentication waits for its IP's running ones (queued or waiting) before it is refused, in ms. */
const WAIT_MS = 5000;

/**
 * Attempts of one IP that may wait on a node at once: ten times the limit, at
 * least 64; past them an attempt is refused at once. Pipelined requests need
 * a single socket, so without a bound they piled up (100,000 of them took
 * the process from 105 to 680 MB).
 */
const maxWaiting = (perMinute: number): number => Math.max(64, 10 * perMinute);

/**
 * `perMinute` failed authentications per IP (`counters`' `auth_failure`
 * counter); past them, every request that needs a session token (and every
 * WebSocket upgrade) from that IP is 429 until the window ends. A success
 * does not reset the count: a client with one valid token must not be able
 * to clear its record of guesses.
 *
 * Each attempt takes a point before it runs, in one atomic add, and a
 * success gives it back: a check read before the attempt let every attempt
 * in flight at once pass it before any failure was recorded (an attacker's
 * burst over three nodes on a shared store got 135 to 193 guesses past a
 * limit of 30). So at most `perMinute` attempts of an IP run at once, and
 * failures keep their points.
 *
 * The attempts of one IP take their points one after another on a node,
 * and one that finds the points taken while others of its IP run here waits
 * for one of them to end and tries again (their points may come back). So
 * many concurrent attempts with a valid token (tabs, clients behind one NAT,
 * a load test) all get through, in waves, while a burst of guesses is
 * refused once the failures hold the points. Attempts running on other
 * nodes cannot be waited for: near the limit, a valid attempt that meets
 * only their points is refused (429) while they run. A wait, queue
 * included, ends after WAIT_MS; at most maxWaiting(perMinute) attempts of an
 * IP wait on a node, the others are refused at once. A point goes back only
 * into the window it was taken from.
 */
export function createAuthFailureLimiter(perMinute: number, counters: WindowCounters): AuthFailureLimiter {
  if (perMinute === 0) return { guard: (_ip, run) => run() };
  const counter = counters('auth_failure', WINDOW_MS);
  const local = new Map<string, IpAttempts>();
  const waitingCap = maxWaiting(perMinute);
  /** The 429; an attempt refused without a count of its own (waited too long, too many waiting) says "retry in a second". */
  const refused = (count: WindowCount = { points: perMinute + 1, msLeft: 1000 }) =>
    tooMany('too_many_auth_failures', `at most ${perMinute} failed authentications per minute`, count);

  /** One try for a point, after the IP's tries before it: admitted (with when its window ends), again, or wait/refuse. */
  async function take(ip: string, state: IpAttempts): Promise<{ windowEnds: number } | 'again' | { wait: boolean; count?: WindowCount }> {
    const released = state.released;
    const count = await counter.add(ip, 1);
    if (count.points <= perMinute) {
      state.running++;
      return { windowEnds: Date.now() + count.msLeft };
    }
    await counter.add(ip, -1); // not run: a refused or waiting attempt holds no point
    if (state.released !== released) return 'again'; // a point came back meanwhile
    return { wait: state.running > 0, count };
  }

  /** Resolves with when the admitted attempt's window ends; throws 429. */
  async function admit(ip: string, state: IpAttempts): Promise<number> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      // The deadline holds in the queue too: an attempt whose turn comes too late takes no point.
      const turn = state.turns.then(() => (Date.now() >= deadline ? { wait: false } : take(ip, state)));
      state.turns = turn.catch(() => undefined);
      const outcome = await turn;
      if (outcome === 'again') continue;
      if ('windowEnds' in outcome) return outcome.windowEnds;
      if (!outcome.wait || Date.now() >= deadline) {
        throw refused(outcome.count);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          state.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        state.waiting.add(wake);
      });
    }
  }

  return {
    async guard(ip, run) {
      let state = local.get(ip);
      if (!state) local.set(ip, (state = { attempts: 0, running: 0, released: 0, turns: Promise.resolve(), waiting: new Set() }));
      if (state.attempts - state.running >= waitingCap) {
        throw refused();
      }
      state.attempts++;
      try {
        const windowEnds = await admit(ip, state);
        // A point is given back only into the window it was taken from: rate-limiter-flexible starts an ended
        // window anew at the added value, so a late -1 would open the next one below zero (an extra guess).
        const giveBack = () => (Date.now() < windowEnds ? counter.add(ip, -1) : undefined);
        try {
          const result = await run();
          await giveBack();
          return result;
        } catch (err) {
          if (!isFailedAuthentication(err)) await giveBack();
          throw err;
        } finally {
          state.running--;
          state.released++;
          // A point came back, or a failure kept it: the longest waiter tries (waking all would have each try).
          const [first] = state.waiting;
          first?.();
        }
      } finally {
        if (--state.attempts === 0 && local.get(ip) === state) local.delete(ip);
      }
    },
  };
}

/** An IP's authentications on this node. */
interface IpAttempts {
  /** In `guard`, whatever they are doing: the record is dropped at 0. */
  attempts: number;
  /** Holding a point, running. */
  running: number;
  /** Attempts that ended since this record began (a point given back, or kept by a failure). */
  released: number;
  /** The tail of the IP's tries for a point, one after another. */
  turns: Promise<unknown>;
  /** Attempts waiting for a running one to end. */
  waiting: Set<() => void>;
}

/** True for the refusals that count as a failed authentication: wrong or missing token, unknown session. */
export function isFailedAuthentication(err: unknown): boolean {
  return err instanceof AppError && (err.code === 'unauthorized' || err.code === 'session_not_found');
}
