// Declarative use: hyper-action elements, forms and fields, their triggers; the default socket
// behind `action()` and the Alpine plugin ($action).
import { alpineStore } from "./apply.js";
import { HyperError, KIND, reportError } from "./error.js";
import { fieldData, formData, isField } from "./fields.js";
import { refreshLoading } from "./loading.js";
import { ATTRIBUTES, CLIENT_STATES, STATUS } from "./protocol.js";
import { schedule, triggers } from "./triggers.js";

const A = ATTRIBUTES;
const DEFAULT_EVENTS = ["click", "submit", "change"]; // listened to while bubbling
let served = null; // the socket that hyper-action elements, action() and $action use
let listening = null; // the document whose events are served
let heard = new Set(); // event names listened to on that document

/** The served socket, or null once it is closed. */
const current = () => (served && served.state !== CLIENT_STATES.closed ? served : null);

const noSocket = () => new HyperError(STATUS.network, "No socket: call connect() first", KIND.network);

/** `action(name, data, options)` on the socket `connect()` made (the last one serving the page). */
export function action(name, data = {}, options = {}) {
  const socket = current();
  return socket ? socket.action(name, data, options) : Promise.reject(noSocket());
}

/** An element's action: its form's fields or its own `{name: value}`, then `hyper-data`, then options. */
function declared(el) {
  const socket = current();
  if (!socket) return;
  try {
    const own = el.tagName === "FORM" ? formData(el) : isField(el) ? fieldData(el) : {};
    let extra;
    try {
      extra = JSON.parse(el.getAttribute(A.data) || "{}");
    } catch {
      throw new HyperError(STATUS.bad_request, `Bad ${A.data} JSON`, KIND.client);
    }
    const options = { source: el };
    for (const name of ["target", "block", "sync", "key"]) {
      const value = el.getAttribute(A[name]);
      if (value) options[name] = value;
    }
    socket.action(el.getAttribute(A.action), { ...own, ...extra }, options).catch(() => {});
  } catch (error) {
    reportError(error);
  }
}

function handle(event) {
  const el = event.target.closest?.(`[${A.action}]`);
  if (!el || !triggers(el).includes(event.type)) return;
  // A non-bubbling event (mouseenter...) is heard while capturing: only the element's own counts.
  if (!event.bubbles && event.target !== el) return;
  if (event.type === "click" || event.type === "submit") event.preventDefault();
  schedule(el, () => declared(el));
}

// Named triggers are heard while capturing, so that events which do not bubble reach us too.
function hear(names) {
  for (const name of names) {
    if (heard.has(name)) continue;
    heard.add(name);
    document.addEventListener(name, handle, !DEFAULT_EVENTS.includes(name));
  }
}

function hearTriggers() {
  for (const el of document.querySelectorAll(`[${A.trigger}]`)) hear(triggers(el));
}

function listen() {
  if (listening === document) return;
  listening = document;
  heard = new Set();
  hear(DEFAULT_EVENTS);
  hearTriggers();
  // Elements patched in (or given hyper-trigger later) may name events not heard yet.
  new window.MutationObserver(hearTriggers).observe(document.documentElement, {
    subtree: true, childList: true, attributeFilter: [A.trigger],
  });
}

/** Makes `socket` the one hyper-action elements, `action()` and `$action` use (the last one served wins). */
export function serve(socket) {
  served = socket;
  listen();
  refreshLoading();
}

/** Alpine plugin: `$action(name, data, options)` with `source` = the element. */
export function alpinePlugin(Alpine) {
  alpineStore(Alpine);
  Alpine.magic("action", (el) => (name, data = {}, options = {}) => action(name, data, { source: el, ...options }));
}

if (typeof document !== "undefined") {
  document.addEventListener("alpine:init", () => window.Alpine && alpinePlugin(window.Alpine));
}
