/**
 * Chooses the message bus: the one place that knows which buses exist. A
 * cross-node bus (issue 14: PostgreSQL LISTEN/NOTIFY, Redis) is a folder
 * beside local.ts that `satisfies` MessageBus, and one branch here.
 */
import type { DomainLogger, MessageBus } from '../domain/ports.js';
import { createLocalBus } from './local.js';

/** Opens the bus: in process (the only one so far; one node). */
export async function openBus(logger: DomainLogger): Promise<MessageBus> {
  return createLocalBus(logger);
}
