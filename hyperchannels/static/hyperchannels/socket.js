// HyperSocket: one WebSocket to a HyperConsumer, its invocations, its streams and its reconnects.
import { applyEvent } from "./apply.js";
import { PendingCall } from "./call.js";
import { HyperError, KIND, emit, reportError } from "./error.js";
import { formData } from "./fields.js";
import { Heartbeat } from "./heartbeat.js";
import { Lanes, laneKey, syncMode } from "./lanes.js";
import { refreshLoading } from "./loading.js";
import { Presence } from "./presence.js";
import { Recovery } from "./recovery.js";
import {
  ATTRIBUTES, CLIENT_STATES, CLOSE_CODES, DEFAULTS, ERRORS, EVENTS, FRAMES, LIMITS, NO_RECONNECT_CLOSE_CODES, STATUS,
  TERMINAL_EVENTS, WINDOW_EVENTS,
} from "./protocol.js";
import { ReconnectTimer } from "./timer.js";

const W = WINDOW_EVENTS;
const UNREADABLE = "Unreadable frame from server";

function socketURL(url) {
  const absolute = new URL(url, location.href);
  if (absolute.protocol === "http:") absolute.protocol = "ws:";
  if (absolute.protocol === "https:") absolute.protocol = "wss:";
  return absolute.href;
}

/** A reply or push as JSON text gives it: an object, else null (not JSON, or not a frame). */
function parseFrame(text) {
  try {
    const frame = JSON.parse(text);
    return frame !== null && typeof frame === "object" && !Array.isArray(frame) ? frame : null;
  } catch {
    return null;
  }
}

/** One WebSocket to a HyperConsumer; `state` is one of CLIENT_STATES, mirrored on <html>. */
export class HyperSocket {
  constructor(url, options = {}) {
    this.url = socketURL(url);
    this.options = {
      strictTargets: false, maxFrameBytes: LIMITS.max_frame_bytes,
      reconnectMin: DEFAULTS.reconnect_min_ms, reconnectMax: DEFAULTS.reconnect_max_ms,
      restartJitter: DEFAULTS.restart_jitter_ms,
      gapTimeout: DEFAULTS.gap_timeout_ms, heartbeat: DEFAULTS.heartbeat_ms,
      heartbeatTimeout: DEFAULTS.heartbeat_timeout_ms, ...options,
    };
    this.heartbeat = new Heartbeat(
      this.options.heartbeat, this.options.heartbeatTimeout,
      () => this.send({ type: FRAMES.ping, id: this.newId() }), () => this.lost(),
    );
    this.recovery = new Recovery(this, this.options.positions, this.options.gapTimeout);
    this.present = new Presence();
    this.pending = new Map(); // invocation id -> PendingCall
    this.lanes = new Lanes();
    this.queue = []; // calls made while not open
    this.streams = new Set();
    this.nextId = 0;
    this.applying = Promise.resolve();
    this.timer = new ReconnectTimer(() => this.open(), this.options.reconnectMin, this.options.reconnectMax);
    this.onOnline = () => this.state === CLIENT_STATES.reconnecting && (this.timer.reset(), this.open());
    window.addEventListener("online", this.onOnline);
    this.setState(CLIENT_STATES.connecting);
    this.open();
  }

  setState(state) {
    this.state = state;
    document.documentElement.setAttribute(ATTRIBUTES.state, state);
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  open() {
    const ws = (this.ws = new WebSocket(this.url));
    ws.onopen = () => this.opened();
    ws.onmessage = (message) => this.received(message.data);
    ws.onclose = (event) => ws === this.ws && this.dropped(event);
  }

  /** The heartbeat got no answer: the connection is dead, whatever the browser still thinks. */
  lost() {
    const ws = this.ws;
    ws.onclose = null;
    ws.close();
    this.dropped();
  }

  // Streams first (from the page's own position of each), then one resume, then queued actions.
  opened() {
    this.timer.reset();
    this.heartbeat.start();
    this.setState(CLIENT_STATES.open);
    for (const token of this.streams) this.stream(FRAMES.subscribe, token, true);
    this.recovery.opened();
    const queued = this.queue.splice(0);
    for (const call of queued) if (!call.done) this.transmit(call);
    emit(window, W.connected, { url: this.url });
  }

  dropped({ code, reason = "" } = {}) {
    if (this.state === CLIENT_STATES.closed) return;
    this.heartbeat.stop();
    const wasOpen = this.state === CLIENT_STATES.open;
    const { min, max } = NO_RECONNECT_CLOSE_CODES;
    if (code >= min && code <= max && code !== CLOSE_CODES.too_slow) {
      // Signed out, refused...: trying again would get the same answer. Too slow a reader resumes.
      this.close();
      if (wasOpen) emit(window, W.disconnected, { url: this.url });
      return emit(window, W.closed, { code, reason });
    }
    this.setState(CLIENT_STATES.reconnecting);
    this.failSent(ERRORS.network.message, KIND.network);
    if (wasOpen) emit(window, W.disconnected, { url: this.url });
    const restart = code === CLOSE_CODES.service_restart; // a deploy: back soon, no backoff
    const delay = restart ? this.timer.soon(this.options.restartJitter) : this.timer.schedule();
    emit(window, W.reconnecting, { attempt: this.timer.attempt, delay });
  }

  /** Fails every invocation already sent (its outcome is unknown) with status 0. */
  failSent(message, kind, cancelServer = false) {
    for (const call of [...this.pending.values()]) {
      if (call.sent) call.fail(new HyperError(STATUS.network, message, kind, call.id), cancelServer);
    }
  }

  send(frame) {
    if (this.isOpen) this.ws.send(JSON.stringify(frame));
  }

  transmit(call) {
    const text = JSON.stringify(call.frame);
    const max = this.options.maxFrameBytes;
    if (text.length > max && new Blob([text]).size > max) {
      const { status, message } = ERRORS.too_large;
      return call.fail(new HyperError(status, message, KIND.client, call.id));
    }
    call.sent = true;
    this.ws.send(text);
  }

  call(frame, options) {
    const call = new PendingCall(this, frame, options);
    this.pending.set(call.id, call);
    if (call.isAction) this.lanes.enter(call);
    if (this.state === CLIENT_STATES.open && this.isOpen) this.transmit(call);
    else if (this.state === CLIENT_STATES.closed) {
      call.fail(new HyperError(STATUS.network, "Socket is closed", KIND.network, call.id));
    } else this.queue.push(call);
    return call.promise;
  }

  newId() {
    return String(++this.nextId);
  }

  /**
   * Invoke the action `name`; resolves on `end`/`redirect` with `{event, data}`, or with
   * `{aborted: true}` (replaced in its lane), `{blocked: true}` (its lane was busy) or
   * `{cancelled: true}` (a `hyper:beforeRequest` listener prevented it); rejects with a HyperError.
   */
  action(name, data = {}, options = {}) {
    try {
      return this.start(name, data, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  start(name, data, options) {
    const form = typeof options.form === "string" ? document.querySelector(options.form) : options.form;
    if (options.form && !form?.elements) {
      throw new HyperError(STATUS.bad_request, `Form not found: ${options.form}`, KIND.client);
    }
    const source = options.source ?? options.sourceEl ?? null;
    const isForm = !!form || source?.tagName === "FORM";
    const sync = syncMode(options.sync, isForm);
    const key = laneKey(name, source, options.key);
    const frame = { type: FRAMES.action, id: this.newId(), name, data: { ...(form ? formData(form) : {}), ...data } };
    if (options.target != null) frame.target = options.target;
    if (options.block != null) frame.block = options.block;
    const detail = { id: frame.id, name, action: name, key, source, mode: sync };
    if (!this.lanes.admits(key, sync)) {
      emit(window, W.request_blocked, detail);
      return Promise.resolve({ blocked: true });
    }
    // Listeners may change `detail.data` (it is the data sent), or prevent the call.
    const before = new CustomEvent(W.before_request, { detail: { ...detail, data: frame.data }, cancelable: true });
    if (!window.dispatchEvent(before)) return Promise.resolve({ cancelled: true });
    return this.call(frame, { ...options, source, sync, key });
  }

  stream(type, token, internal = false) {
    const frame = { type, id: this.newId(), stream: token };
    const since = type === FRAMES.subscribe ? this.recovery.since(token) : undefined;
    if (since) frame.since = since;
    const promise = this.call(frame, {});
    return internal ? promise.catch(() => {}) : promise;
  }

  /** Sends a `resume` for `positions` (internal: no lifecycle, no loading); its id, or null if down. */
  resume(positions) {
    if (this.state !== CLIENT_STATES.open || !this.isOpen) return null;
    const id = this.newId();
    this.call({ type: FRAMES.resume, id, positions }, {}).then(
      () => this.recovery.resumed(id, false),
      (error) => this.recovery.resumed(id, error.kind !== KIND.network),
    );
    return id;
  }

  /** The page's position in each group: `{group: {seq, epoch}}`. */
  positions() {
    return this.recovery.positions();
  }

  /** Who is in `group` (docs/presence.md): `list()` and `onChange(callback)`. */
  presence(group) {
    return this.present.group(group);
  }

  /** Join the group a signed token names; again after every reconnect. */
  subscribe(token) {
    this.streams.add(token);
    return this.stream(FRAMES.subscribe, token);
  }

  /** The server took the socket out of `group`: its tokens are forgotten, never sent again. */
  revoked(group) {
    for (const token of [...this.streams]) {
      if (this.recovery.tokens.get(token) === group) this.streams.delete(token), this.recovery.tokens.delete(token);
    }
  }

  unsubscribe(token) {
    this.streams.delete(token);
    return this.stream(FRAMES.unsubscribe, token);
  }

  close() {
    this.setState(CLIENT_STATES.closed);
    this.timer.cancel();
    this.heartbeat.stop();
    window.removeEventListener("online", this.onOnline);
    for (const call of [...this.pending.values()]) {
      call.fail(new HyperError(STATUS.network, "Socket is closed", KIND.network, call.id), true);
    }
    this.ws?.close();
  }

  navigate(url, replace) {
    if (replace) location.replace(url);
    else location.assign(url);
  }

  /** Frames are applied one after another, in the order they arrived. */
  received(text) {
    this.heartbeat.alive();
    const frame = parseFrame(text);
    this.applying = this.applying.then(() => (frame ? this.apply(frame) : this.unreadable()));
  }

  // A frame that cannot be read has an id that cannot be read either: any invocation sent may have
  // lost its reply (or its terminal event), so none of them may resolve as a success.
  unreadable() {
    const error = new HyperError(STATUS.network, UNREADABLE, KIND.client);
    if ([...this.pending.values()].some((call) => call.sent)) this.failSent(UNREADABLE, KIND.client, true);
    else reportError(error);
  }

  /** A push from a group goes through recovery (once, in order); everything else at once. */
  apply(frame) {
    const { id = null, group, seq } = frame;
    if (id == null && typeof group === "string" && Number.isInteger(seq)) {
      // Whatever fails here must not stop the frames after it.
      const failed = (error) => reportError(new HyperError(STATUS.network, String(error), KIND.client));
      return this.recovery.push(frame).catch(failed);
    }
    return this.applyFrame(frame);
  }

  async applyFrame({ id = null, event, data = {} }) {
    const call = id == null ? null : this.pending.get(id);
    if (id != null && (!call || call.failed)) return; // cancelled, timed out or failed already
    emit(window, W.event, { id, event, data });
    try {
      if (event === EVENTS.error) {
        const error = new HyperError(data.status, data.message, KIND.server, id);
        return call ? call.fail(error) : reportError(error);
      }
      if (event === EVENTS.positions) await this.recovery.positionsEvent(data, id);
      else if (event === EVENTS.resync) this.recovery.resynced(data);
      else if (event === EVENTS.revoked) this.revoked(data.group);
      else if (event === EVENTS.presence_state) this.present.state(data);
      else if (event === EVENTS.presence_diff) this.present.diff(data);
      else if (event === EVENTS.end && call?.frame.type === FRAMES.subscribe) {
        await this.recovery.subscribed(call.frame.stream, data);
      }
      await applyEvent(this, event, data, call);
      if (event === EVENTS.patch_html) refreshLoading();
      if (call && TERMINAL_EVENTS.includes(event)) call.succeed({ event, data });
    } catch (error) {
      const failure = error instanceof HyperError ? error
        : new HyperError(STATUS.network, String(error?.message ?? error), KIND.client, id);
      if (call) call.fail(failure, true);
      else reportError(failure, id);
    }
  }
}
