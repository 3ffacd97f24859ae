/**
 * What a per-IP limit does while its shared store (PostgreSQL, Redis) fails
 * or does not answer in time: it counts in this process's memory instead,
 * key by key, as rate-limiter-flexible's insuranceLimiter does; written out
 * here to log the switch both ways and count it (/metrics). So an outage
 * neither lets an IP through unlimited (each node still holds it to the
 * limit: at most N times the limit over N nodes) nor takes the node down or
 * makes requests wait for the store. Counts taken in memory are not carried
 * back into the store when it answers again.
 */
import type { DomainLogger, WindowCount, WindowCounter, WindowCounters } from '../domain/ports.js';
import { memoryCounters } from './flexible.js';

export interface InsuredOptions {
  /** Longest wait for the shared store, in ms, before memory answers instead. */
  timeoutMs: number;
  logger: DomainLogger;
  /** Names the store in the logs ("PostgreSQL", "Redis"). */
  storeName: string;
}

export interface InsuredCounters {
  counters: WindowCounters;
  /** Calls memory answered because the store failed or was late, since start. */
  fallbacks(): number;
}

const defaults = { timeoutMs: 1000 };

/** `shared`, with memory answering each call the store fails or leaves too long. */
export function insuredCounters(shared: WindowCounters, options: Partial<InsuredOptions> & Omit<InsuredOptions, 'timeoutMs'>): InsuredCounters {
  const { timeoutMs, logger, storeName } = { ...defaults, ...options };
  let fallbacks = 0;
  let storeAnswering = true;

  async function insured<T extends WindowCount | null>(fromStore: () => Promise<T>, fromMemory: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const result = await Promise.race([fromStore(), late]);
      if (!storeAnswering) logger.info({ store: storeName }, 'per-IP limits: the shared store answers again; counting there');
      storeAnswering = true;
      return result;
    } catch (err) {
      fallbacks++;
      if (storeAnswering) {
        logger.warn({ store: storeName, err: (err as Error).message }, 'per-IP limits: the shared store failed; counting in this node\'s memory until it answers');
      }
      storeAnswering = false;
      return fromMemory();
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    counters(name, windowMs): WindowCounter {
      const store = shared(name, windowMs);
      const memory = memoryCounters(name, windowMs);
      return {
        add: (key, points) => insured(() => store.add(key, points), () => memory.add(key, points)),
        get: (key) => insured(() => store.get(key), () => memory.get(key)),
      };
    },
    fallbacks: () => fallbacks,
  };
}
