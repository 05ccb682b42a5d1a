// One pending invocation: its frame, its promise, its timeout and abort, its source's loading state.
import { HyperError, KIND, emit } from "./error.js";
import { CLASSES, ERRORS, FRAMES, WINDOW_EVENTS } from "./protocol.js";

const busy = new WeakMap(); // element -> how many of its invocations run

/** Counts an element's running invocations: `aria-busy` and the loading class while any runs. */
export function setBusy(el, delta) {
  if (!el || !el.setAttribute) return;
  const count = (busy.get(el) || 0) + delta;
  busy.set(el, count);
  el.classList.toggle(CLASSES.loading, count > 0);
  if (count > 0) el.setAttribute("aria-busy", "true");
  else el.removeAttribute("aria-busy");
}

/** One invocation, settled once: `succeed` on a terminal event, `fail` on anything else that ends it. */
export class PendingCall {
  constructor(socket, frame, options) {
    Object.assign(this, { socket, frame, id: frame.id, sent: false, done: false, failed: false });
    this.target = options.target;
    this.source = options.source;
    this.strictTargets = options.strictTargets; // apply.js: a missing patch target rejects this call
    this.promise = new Promise((resolve, reject) => Object.assign(this, { resolve, reject }));
    setBusy(this.source, 1);
    if (options.timeout) {
      this.timer = setTimeout(
        () => this.fail(new HyperError(ERRORS.network.status, "Timed out", KIND.timeout, this.id), true),
        options.timeout,
      );
    }
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) queueMicrotask(() => this.abort());
      else signal.addEventListener("abort", () => this.abort(), { once: true });
    }
  }

  abort() {
    const { status, message } = ERRORS.cancelled;
    this.fail(new HyperError(status, message, KIND.cancelled, this.id), true);
  }

  finish() {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    setBusy(this.source, -1);
    this.socket.pending.delete(this.id);
    return true;
  }

  succeed(value) {
    if (this.finish()) this.resolve(value);
  }

  /** Rejects with `error` and says so on window; `cancelServer` also tells the server to stop. */
  fail(error, cancelServer = false) {
    this.failed = true;
    if (cancelServer && this.sent && !this.done) this.socket.send({ type: FRAMES.cancel, id: this.id });
    if (!this.finish()) return;
    emit(window, WINDOW_EVENTS.request_error, {
      id: this.id, status: error.status, message: error.message, kind: error.kind,
      name: this.frame.name, source: this.source || null,
    });
    this.reject(error);
  }
}
