// Lanes: actions with the same key, and what a new one does to the lane's running one
// (`sync`: replace it, be blocked by it, or run beside it).
import { HyperError, KIND } from "./error.js";
import { STATUS } from "./protocol.js";

/** The `sync` modes: option values and `hyper-sync` values (never on the wire). */
export const SYNC = Object.freeze({ replace: "replace", block: "block", none: "none" });

const elementKeys = new WeakMap();
let elements = 0;

/**
 * The lane of an action: its `key` when given, else the action's name and its source element
 * (`action:<name>:el:<n>`, one `n` per element), or the name alone without a source.
 */
export function laneKey(name, source, key) {
  if (key != null && key !== "") return String(key);
  if (!source || typeof source !== "object") return `action:${name}`;
  if (!elementKeys.has(source)) elementKeys.set(source, `el:${++elements}`);
  return `action:${name}:${elementKeys.get(source)}`;
}

/** `sync` as given, else `block` for a form's action and `replace` for any other; unknown: 400. */
export function syncMode(sync, isForm) {
  if (sync == null || sync === "") return isForm ? SYNC.block : SYNC.replace;
  if (Object.values(SYNC).includes(sync)) return sync;
  const allowed = Object.values(SYNC).join(", ");
  throw new HyperError(STATUS.bad_request, `Unknown sync "${sync}" (one of ${allowed})`, KIND.client);
}

/** The running action of each lane of one socket. */
export class Lanes {
  constructor() {
    this.running = new Map(); // key -> PendingCall
  }

  /** False when a `block` action must not start because its lane has one running. */
  admits(key, sync) {
    return sync !== SYNC.block || !this.running.get(key);
  }

  /** `call` now runs in its lane; under `replace` the lane's running action is replaced by it. */
  enter(call) {
    if (call.sync === SYNC.none) return;
    const previous = this.running.get(call.key);
    this.running.set(call.key, call);
    if (previous && call.sync === SYNC.replace) previous.replaced(call);
  }

  leave(call) {
    if (this.running.get(call.key) === call) this.running.delete(call.key);
  }
}
