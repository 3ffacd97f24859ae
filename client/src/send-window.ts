import { backoffDelay, type BackoffOptions } from './backoff.js';

/**
 * How many messages may be on the wire unacknowledged, as TCP does it (AIMD,
 * RFC 5681): the window starts at `max`; when the server refuses a message
 * for now (`rate_limited`, `storage_unavailable`) or closes for a policy
 * (1008, the rate limit's last word) it drops to half of what was in flight,
 * and it grows by one per acknowledgement.
 * A refusal also pauses writing for a full-jitter backoff, after which the
 * refused messages go out again; the pauses lengthen while refusals continue
 * and shorten again once acknowledgements come back.
 */
export class SendWindow {
  #size: number;
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  #pauses = 0;

  readonly #max: number;
  readonly #backoff: BackoffOptions;

  constructor(max: number, backoff: BackoffOptions) {
    this.#max = max;
    this.#backoff = backoff;
    this.#size = max;
  }

  /** True while a refusal's pause lasts: nothing is written. */
  get paused(): boolean {
    return this.#pauseTimer !== undefined;
  }

  /** May one more be written with `inFlight` already out? */
  allows(inFlight: number): boolean {
    return !this.paused && inFlight < this.#size;
  }

  acknowledged(): void {
    this.#pauses = 0;
    this.#size = Math.min(this.#max, this.#size + 1);
  }

  /** The server did not take a message and says it may later: narrow, pause, then `resume`. */
  refused(inFlight: number, resume: () => void): void {
    if (this.paused) return;
    this.narrow(inFlight);
    this.#pauseTimer = setTimeout(() => {
      this.#pauseTimer = undefined;
      resume();
    }, backoffDelay(this.#pauses++, this.#backoff));
  }

  /** Half of what was in flight when the server pushed back (RFC 5681's FlightSize / 2). */
  narrow(inFlight: number): void {
    this.#size = Math.max(1, Math.min(this.#size, Math.floor(inFlight / 2)));
  }

  /** The connection is gone: whatever was paused goes out on the next one. */
  cancelPause(): void {
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = undefined;
  }
}
