// HyperError: how every failed invocation rejects, and how failures reach the page.
import { STATUS, WINDOW_EVENTS } from "./protocol.js";

/** Who failed: the network (status 0), the clock, the application, this client, or the caller. */
export const KIND = Object.freeze({
  network: "network", timeout: "timeout", server: "server", client: "client", cancelled: "cancelled",
});

/** An invocation that failed: `status` 0 is the network (or a timeout), else the app's status. */
export class HyperError extends Error {
  constructor(status, message, kind, id = null) {
    super(message);
    this.name = "HyperError";
    this.status = status;
    this.kind = kind;
    this.id = id;
  }

  get network() {
    return this.status === STATUS.network;
  }
}

/** A bubbling CustomEvent on `target`. */
export const emit = (target, name, detail) =>
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));

/** `hyper:requestError` for a failure no pending invocation owns (a push, a bad attribute...). */
export const reportError = (error, id = error.id ?? null) => emit(window, WINDOW_EVENTS.request_error, {
  id, status: error.status, message: error.message, kind: error.kind,
});
