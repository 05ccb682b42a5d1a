// The heartbeat: a socket silent for `interval` ms is pinged; silent `timeout` ms more, it is dead.
// A half-open connection (a network change, a server that stopped) is otherwise noticed minutes later.

export class Heartbeat {
  /** `ping()` sends a ping; `dead()` is called once when nothing came back in time. */
  constructor(interval, timeout, ping, dead) {
    Object.assign(this, { interval, timeout, ping, dead, handle: null, last: 0, pinged: false });
  }

  /** The socket opened: silence is measured from now. */
  start() {
    this.stop();
    if (!(this.interval > 0)) return;
    this.last = Date.now();
    this.arm(this.interval);
  }

  /** A frame arrived. Only a timestamp: the timer looks at it when it fires. */
  alive() {
    this.last = Date.now();
    this.pinged = false;
  }

  stop() {
    clearTimeout(this.handle);
    this.handle = null;
    this.pinged = false;
  }

  arm(delay) {
    this.handle = setTimeout(() => this.check(), Math.max(0, delay));
  }

  check() {
    const silent = Date.now() - this.last;
    if (this.pinged) {
      if (silent >= this.timeout) return (this.handle = null), this.dead();
      return this.arm(this.timeout - silent);
    }
    if (silent < this.interval) return this.arm(this.interval - silent);
    this.pinged = true;
    this.last = Date.now();
    this.ping();
    this.arm(this.timeout);
  }
}
