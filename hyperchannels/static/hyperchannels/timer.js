// The reconnect timer: when to try again after a drop.

/** Exponential backoff with jitter: `min` doubling to `max`; `attempt` counts retries since a reset. */
export class ReconnectTimer {
  constructor(callback, min, max) {
    Object.assign(this, { callback, min, max, attempt: 0, handle: null });
  }

  /** Arms the timer for the next attempt; returns its delay in ms (±20 % of the base). */
  schedule() {
    this.cancel();
    const base = Math.min(this.max, this.min * 2 ** this.attempt++);
    const delay = Math.round(Math.min(this.max, base * (0.8 + Math.random() * 0.4)));
    this.handle = setTimeout(() => ((this.handle = null), this.callback()), delay);
    return delay;
  }

  /** After the server said it restarts (1012): one attempt within `within` ms (uniform jitter, so a
   * restarted server's sockets don't all come back at once), no backoff; counts as attempt 1. */
  soon(within) {
    this.cancel();
    this.attempt = 1;
    const delay = Math.round(Math.random() * within);
    this.handle = setTimeout(() => ((this.handle = null), this.callback()), delay);
    return delay;
  }

  cancel() {
    clearTimeout(this.handle);
    this.handle = null;
  }

  /** After a successful open: the next drop starts again from `min`. */
  reset() {
    this.cancel();
    this.attempt = 0;
  }
}
