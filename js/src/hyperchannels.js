// hyperchannels browser client: one WebSocket, server actions, events applied as they arrive.
// Dependency-free ES module. Protocol names mirror hyperchannels/protocol.json (a test checks).

export const PROTOCOL = {
  events: {
    patch_html: "patch_html",
    dispatch_event: "dispatch_event",
    toast: "toast",
    redirect: "redirect",
    history: "history",
    load_js: "load_js",
    patch_signals: "patch_signals",
    end: "end",
    error: "error",
  },
  terminal: ["end", "redirect", "error"],
  swaps: ["inner", "outer", "before", "after", "prepend", "append", "delete", "none"],
  statuses: { network: 0, not_found: 404, too_large: 413, cancelled: 499 },
  windowEvents: {
    event: "hyper:event",
    request_error: "hyper:requestError",
    toast: "hyper:toast",
    signals: "hyper:signals",
    connected: "hyper:connected",
    disconnected: "hyper:disconnected",
    reconnecting: "hyper:reconnecting",
  },
  defaults: { swap: "outer", focus: "preserve", reconnect_min_ms: 1000, reconnect_max_ms: 30000 },
  idMaxLength: 64,
};

const E = PROTOCOL.events;
const W = PROTOCOL.windowEvents;

/** An invocation that failed: `status` 0 is the network (or a timeout), else the app's status. */
export class HyperError extends Error {
  constructor(status, message, kind, id = null) {
    super(message);
    this.name = "HyperError";
    this.status = status;
    this.kind = kind; // "network" | "timeout" | "server" | "client" | "cancelled"
    this.id = id;
  }
  get network() {
    return this.status === 0;
  }
}

const emit = (target, name, detail) =>
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));

// --- one concern each: the reconnect timer -------------------------------------------------

/** Exponential backoff with jitter: min doubling to max; `attempt` counts retries. */
class ReconnectTimer {
  constructor(callback, min, max) {
    Object.assign(this, { callback, min, max, attempt: 0, handle: null });
  }
  schedule() {
    this.cancel();
    const base = Math.min(this.max, this.min * 2 ** this.attempt++);
    const delay = Math.round(Math.min(this.max, base * (0.8 + Math.random() * 0.4)));
    this.handle = setTimeout(() => ((this.handle = null), this.callback()), delay);
    return delay;
  }
  cancel() {
    clearTimeout(this.handle);
    this.handle = null;
  }
  reset() {
    this.cancel();
    this.attempt = 0;
  }
}

// --- one pending invocation ----------------------------------------------------------------

const busy = new WeakMap();

function setBusy(el, delta) {
  if (!el || !el.setAttribute) return;
  const count = (busy.get(el) || 0) + delta;
  busy.set(el, count);
  el.classList.toggle("hyper-loading", count > 0);
  if (count > 0) el.setAttribute("aria-busy", "true");
  else el.removeAttribute("aria-busy");
}

/** One invocation: its frame, its options, its promise; loading state tied to its id. */
class PendingCall {
  constructor(socket, frame, options) {
    Object.assign(this, { socket, frame, id: frame.id, sent: false, done: false, failed: false });
    this.target = options.target;
    this.source = options.source;
    this.promise = new Promise((resolve, reject) => Object.assign(this, { resolve, reject }));
    setBusy(this.source, 1);
    if (options.timeout) {
      this.timer = setTimeout(
        () => this.fail(new HyperError(0, "Timed out", "timeout", this.id), true),
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
    this.fail(new HyperError(499, "Cancelled", "cancelled", this.id), true);
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
  fail(error, cancelServer = false) {
    this.failed = true;
    if (cancelServer && this.sent && !this.done) this.socket.send({ type: "cancel", id: this.id });
    if (!this.finish()) return;
    emit(window, W.request_error, {
      id: this.id, status: error.status, message: error.message, kind: error.kind,
      name: this.frame.name, source: this.source || null,
    });
    this.reject(error);
  }
}

// --- applying events -----------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const loadedScripts = new Set();

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html ?? "";
  return template.content;
}

function focusState() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const state = { el, id: el.id, name: el.getAttribute?.("name") };
  try {
    state.start = el.selectionStart;
    state.end = el.selectionEnd;
  } catch {
    /* not a text field */
  }
  return state;
}

function restoreFocus(state) {
  if (!state || state.el.isConnected) return;
  const again =
    (state.id && document.getElementById(state.id)) ||
    (state.name && document.querySelector(`[name="${CSS.escape(state.name)}"]`));
  if (!again) return;
  again.focus();
  if (state.start != null && again.setSelectionRange) {
    try {
      again.setSelectionRange(state.start, state.end);
    } catch {
      /* the new field takes no selection */
    }
  }
}

function swapInto(el, swap, html) {
  if (swap === "none") return [];
  if (swap === "delete") return el.remove(), [];
  const nodes = fragment(html);
  const added = [...nodes.children];
  if (swap === "inner") el.replaceChildren(nodes);
  else if (swap === "outer") el.replaceWith(nodes);
  else if (swap === "before") el.before(nodes);
  else if (swap === "after") el.after(nodes);
  else if (swap === "prepend") el.prepend(nodes);
  else if (swap === "append") el.append(nodes);
  else throw new HyperError(400, `Unknown swap ${swap}`, "client");
  return added;
}

async function patchHTML(socket, data, call) {
  const selector = data.target ?? call?.target;
  const el = selector ? document.querySelector(selector) : null;
  if (!el) {
    if (data.strict_targets ?? socket.options.strictTargets) {
      throw new HyperError(404, `Target not found: ${selector}`, "client", call?.id ?? null);
    }
    return;
  }
  if (data.swap_delay) await sleep(data.swap_delay);
  const focus = data.focus ?? PROTOCOL.defaults.focus;
  const before = focus === "preserve" ? focusState() : null;
  let added = [];
  const run = () => {
    added = swapInto(el, data.swap ?? PROTOCOL.defaults.swap, data.content);
  };
  if (data.transition && document.startViewTransition) {
    await document.startViewTransition(run).updateCallbackDone;
  } else run();
  if (focus === "preserve") restoreFocus(before);
  else if (focus === "first-invalid") {
    const scope = added.length ? added : [document];
    for (const node of scope) {
      const bad = node.matches?.(":invalid,[aria-invalid=true]") ? node
        : node.querySelector(":invalid,[aria-invalid=true]");
      if (bad) {
        bad.focus();
        break;
      }
    }
  } else document.querySelector(focus)?.focus();
  if (data.settle_delay) {
    added.forEach((n) => n.classList.add("hyper-settling"));
    await sleep(data.settle_delay);
    added.forEach((n) => n.classList.remove("hyper-settling"));
  }
}

function patchSignals(data, call) {
  const Alpine = window.Alpine;
  emit(window, W.signals, { ...data });
  if (!Alpine) return;
  const source = call?.source;
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith("$")) {
      if (!Alpine.store("hyper")) Alpine.store("hyper", {});
      Alpine.store("hyper")[key.slice(1)] = value;
      continue;
    }
    const scopes = source
      ? [source.closest?.("[x-data]")].filter(Boolean)
      : [...document.querySelectorAll("[x-data]")].filter((el) => key in (Alpine.$data(el) || {}));
    for (const el of scopes) Alpine.$data(el)[key] = value;
  }
}

// Not awaited: a slow script must not hold up the events after it.
function loadJS(src) {
  const url = new URL(src, location.href).href;
  if (loadedScripts.has(url)) return;
  loadedScripts.add(url);
  const script = document.createElement("script");
  script.type = "module";
  script.src = url;
  script.onerror = () =>
    emit(window, W.request_error, { id: null, status: 0, message: `Could not load ${src}`, kind: "network" });
  document.head.append(script);
}

const appliers = {
  [E.patch_html]: patchHTML,
  [E.dispatch_event]: (s, d) =>
    emit((d.target && document.querySelector(d.target)) || window, d.name, d.payload),
  [E.toast]: (s, d, call) => emit(window, W.toast, { value: d.value, id: call?.id ?? null }),
  [E.redirect]: (s, d) => s.navigate(d.url, !!d.replace),
  [E.history]: (s, d) => {
    if (d.push_url) history.pushState(history.state, "", d.push_url);
    if (d.replace_url) history.replaceState(history.state, "", d.replace_url);
  },
  [E.load_js]: (s, d) => loadJS(d.src),
  [E.patch_signals]: (s, d, call) => patchSignals(d, call),
};

// --- the socket ----------------------------------------------------------------------------

let defaultSocket = null;

function socketURL(url) {
  const absolute = new URL(url, location.href);
  if (absolute.protocol === "http:") absolute.protocol = "ws:";
  if (absolute.protocol === "https:") absolute.protocol = "wss:";
  return absolute.href;
}

/** One WebSocket to a HyperConsumer, its invocations, its streams and its reconnects. */
export class HyperSocket {
  constructor(url, options = {}) {
    this.url = socketURL(url);
    this.options = {
      strictTargets: false, maxFrameBytes: 1048576,
      reconnectMin: PROTOCOL.defaults.reconnect_min_ms,
      reconnectMax: PROTOCOL.defaults.reconnect_max_ms, ...options,
    };
    this.pending = new Map(); // invocation id -> PendingCall
    this.queue = []; // calls made while not open
    this.streams = new Set();
    this.nextId = 0;
    this.applying = Promise.resolve();
    this.timer = new ReconnectTimer(() => this.open(), this.options.reconnectMin, this.options.reconnectMax);
    this.onOnline = () => this.state === "reconnecting" && (this.timer.reset(), this.open());
    window.addEventListener("online", this.onOnline);
    this.setState("connecting");
    this.open();
  }

  setState(state) {
    this.state = state;
    document.documentElement.dataset.hyperState = state;
  }

  open() {
    const ws = (this.ws = new WebSocket(this.url));
    ws.onopen = () => this.opened();
    ws.onmessage = (message) => this.received(message.data);
    ws.onclose = () => ws === this.ws && this.dropped();
  }

  opened() {
    this.timer.reset();
    this.setState("open");
    emit(window, W.connected, { url: this.url });
    for (const token of this.streams) this.stream("subscribe", token, true);
    const queued = this.queue.splice(0);
    for (const call of queued) if (!call.done) this.transmit(call);
  }

  dropped() {
    if (this.state === "closed") return;
    const wasOpen = this.state === "open";
    this.setState("reconnecting");
    for (const call of [...this.pending.values()]) {
      if (call.sent) call.fail(new HyperError(0, "Connection lost", "network", call.id));
    }
    if (wasOpen) emit(window, W.disconnected, { url: this.url });
    const delay = this.timer.schedule();
    emit(window, W.reconnecting, { attempt: this.timer.attempt, delay });
  }

  send(frame) {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  transmit(call) {
    const text = JSON.stringify(call.frame);
    if (text.length > this.options.maxFrameBytes && new Blob([text]).size > this.options.maxFrameBytes) {
      return call.fail(new HyperError(413, "Frame too large", "client", call.id));
    }
    call.sent = true;
    this.ws.send(text);
  }

  call(frame, options) {
    const call = new PendingCall(this, frame, options);
    this.pending.set(call.id, call);
    if (this.state === "open" && this.ws.readyState === 1) this.transmit(call);
    else if (this.state === "closed") call.fail(new HyperError(0, "Socket is closed", "network", call.id));
    else this.queue.push(call);
    return call.promise;
  }

  newId() {
    return String(++this.nextId);
  }

  /** Invoke the action `name`; resolves on `end`/`redirect`, rejects with a HyperError. */
  action(name, data = {}, options = {}) {
    const frame = { type: "action", id: this.newId(), name, data };
    if (options.target != null) frame.target = options.target;
    if (options.block != null) frame.block = options.block;
    return this.call(frame, options);
  }

  stream(type, token, internal = false) {
    const promise = this.call({ type, id: this.newId(), stream: token }, {});
    return internal ? promise.catch(() => {}) : promise;
  }

  /** Join the group a signed token names; again after every reconnect. */
  subscribe(token) {
    this.streams.add(token);
    return this.stream("subscribe", token);
  }

  unsubscribe(token) {
    this.streams.delete(token);
    return this.stream("unsubscribe", token);
  }

  close() {
    this.setState("closed");
    this.timer.cancel();
    window.removeEventListener("online", this.onOnline);
    for (const call of [...this.pending.values()]) {
      call.fail(new HyperError(0, "Socket is closed", "network", call.id), true);
    }
    this.ws?.close();
    if (defaultSocket === this) defaultSocket = null;
  }

  navigate(url, replace) {
    if (replace) location.replace(url);
    else location.assign(url);
  }

  received(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return console.warn("hyperchannels: a frame that is not JSON", text);
    }
    this.applying = this.applying.then(() => this.apply(frame));
  }

  async apply({ id = null, event, data = {} }) {
    const call = id == null ? null : this.pending.get(id);
    if (id != null && (!call || call.failed)) return; // cancelled, timed out or failed already
    emit(window, W.event, { id, event, data });
    try {
      if (event === E.error) {
        const error = new HyperError(data.status, data.message, "server", id);
        if (call) return call.fail(error);
        return emit(window, W.request_error, { id, status: data.status, message: data.message, kind: "server" });
      }
      await appliers[event]?.(this, data, call);
      if (call && PROTOCOL.terminal.includes(event)) call.succeed({ event, data });
    } catch (error) {
      const failure = error instanceof HyperError ? error : new HyperError(0, String(error?.message ?? error), "client", id);
      if (call) call.fail(failure, true);
      else emit(window, W.request_error, { id, status: failure.status, message: failure.message, kind: failure.kind });
    }
  }
}

// --- declarative use -----------------------------------------------------------------------

function formData(form) {
  const data = {};
  for (const [key, value] of new FormData(form)) {
    if (typeof value !== "string") continue;
    data[key] = key in data ? [].concat(data[key], value) : value;
  }
  return data;
}

function declared(el, base) {
  if (!defaultSocket) return;
  let extra = {};
  try {
    extra = JSON.parse(el.getAttribute("hyper-data") || "{}");
  } catch {
    return emit(window, W.request_error, { id: null, status: 400, message: "Bad hyper-data JSON", kind: "client" });
  }
  const options = { source: el };
  for (const key of ["target", "block"]) {
    const value = el.getAttribute(`hyper-${key}`);
    if (value) options[key] = value;
  }
  defaultSocket.action(el.getAttribute("hyper-action"), { ...base, ...extra }, options).catch(() => {});
}

let listening = null; // the document whose clicks and submits are served

function listen() {
  if (listening === document) return;
  listening = document;
  document.addEventListener("click", (event) => {
    const el = event.target.closest?.("[hyper-action]");
    if (!el || el.tagName === "FORM") return;
    event.preventDefault();
    declared(el, {});
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches?.("form[hyper-action]")) return;
    event.preventDefault();
    declared(form, formData(form));
  });
}

/** Alpine plugin: `$action(name, data, options)` with `source` = the element. */
export function alpinePlugin(Alpine) {
  if (!Alpine.store("hyper")) Alpine.store("hyper", {});
  Alpine.magic("action", (el) => (name, data = {}, options = {}) => {
    if (!defaultSocket) return Promise.reject(new HyperError(0, "No socket: call connect() first", "network"));
    return defaultSocket.action(name, data, { source: el, ...options });
  });
}

if (typeof document !== "undefined") {
  document.addEventListener("alpine:init", () => window.Alpine && alpinePlugin(window.Alpine));
}

/** Open a socket to a HyperConsumer (a relative URL becomes ws: or wss:). */
export function connect(url, options = {}) {
  const socket = new HyperSocket(url, options);
  if (options.declarative !== false) {
    defaultSocket = socket;
    listen();
  }
  return socket;
}
