// One pending invocation: its frame, its promise, its timeout and abort; for an action, also
// its lane, its loading state and its lifecycle events on window.
import { HyperError, KIND, emit } from "./error.js";
import { loading } from "./loading.js";
import { ERRORS, FRAMES, WINDOW_EVENTS } from "./protocol.js";

const W = WINDOW_EVENTS;
const OK_STATUS = 200; // what `hyper:afterRequest` says of an action that ended well, as HTTP would

/** One invocation, settled once: `succeed` on a terminal event, `fail` or `replaced` otherwise. */
export class PendingCall {
  constructor(socket, frame, options) {
    Object.assign(this, { socket, frame, id: frame.id, sent: false, done: false, failed: false });
    this.target = options.target;
    this.source = options.source;
    this.strictTargets = options.strictTargets; // apply.js: a missing patch target rejects this call
    this.isAction = frame.type === FRAMES.action;
    Object.assign(this, { name: frame.name, key: options.key, sync: options.sync });
    this.promise = new Promise((resolve, reject) => Object.assign(this, { resolve, reject }));
    if (this.isAction) {
      loading(this, 1);
      emit(window, W.request_start, this.describe());
    }
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

  describe(extra = {}) {
    return { id: this.id, name: this.name, action: this.name, key: this.key, source: this.source || null, ...extra };
  }

  abort() {
    const { status, message } = ERRORS.cancelled;
    this.fail(new HyperError(status, message, KIND.cancelled, this.id), true);
  }

  finish() {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    this.socket.pending.delete(this.id);
    if (this.isAction) {
      this.socket.lanes.leave(this);
      loading(this, -1);
    }
    return true;
  }

  // HyperDjango's order: the outcome's own event, then hyper:afterRequest, then hyper:request:end.
  ended(outcome) {
    if (!this.isAction) return;
    const detail = this.describe(outcome);
    emit(window, W.after_request, detail);
    emit(window, W.request_end, detail);
  }

  succeed(value) {
    if (!this.finish()) return;
    if (this.isAction) emit(window, W.request_success, this.describe({ status: OK_STATUS }));
    this.ended({ ok: true, status: OK_STATUS });
    this.resolve(value);
  }

  /** Rejects with `error` and says so on window; `cancelServer` also tells the server to stop. */
  fail(error, cancelServer = false) {
    this.failed = true;
    if (cancelServer && this.sent && !this.done) this.socket.send({ type: FRAMES.cancel, id: this.id });
    if (!this.finish()) return;
    emit(window, W.request_error, {
      id: this.id, status: error.status, message: error.message, kind: error.kind,
      name: this.frame.name, source: this.source || null,
    });
    this.ended({ ok: false, status: error.status });
    this.reject(error);
  }

  /** A newer action of the lane replaced this one: `cancel` is sent, its later events are ignored. */
  replaced(by) {
    this.failed = true;
    if (this.sent && !this.done) this.socket.send({ type: FRAMES.cancel, id: this.id });
    if (!this.finish()) return;
    emit(window, W.request_replaced, { ...by.describe(), replacedId: this.id, mode: by.sync });
    emit(window, W.request_aborted, this.describe({ mode: by.sync }));
    this.ended({ ok: false, status: ERRORS.cancelled.status, aborted: true });
    this.resolve({ aborted: true });
  }
}
