// Declarative use: hyper-action elements and forms, and the Alpine plugin ($action).
import { alpineStore } from "./apply.js";
import { HyperError, KIND, reportError } from "./error.js";
import { ATTRIBUTES, CLIENT_STATES, STATUS } from "./protocol.js";

const A = ATTRIBUTES;
let served = null; // the socket that hyper-action elements and $action use
let listening = null; // the document whose clicks and submits are served

/** The served socket, or null once it is closed. */
const current = () => (served && served.state !== CLIENT_STATES.closed ? served : null);

function formData(form) {
  const data = {};
  for (const [key, value] of new FormData(form)) {
    if (typeof value !== "string") continue;
    data[key] = key in data ? [].concat(data[key], value) : value;
  }
  return data;
}

function declared(el, base) {
  const socket = current();
  if (!socket) return;
  let extra = {};
  try {
    extra = JSON.parse(el.getAttribute(A.data) || "{}");
  } catch {
    return reportError(new HyperError(STATUS.bad_request, `Bad ${A.data} JSON`, KIND.client));
  }
  const options = { source: el };
  for (const key of ["target", "block"]) {
    const value = el.getAttribute(A[key]);
    if (value) options[key] = value;
  }
  socket.action(el.getAttribute(A.action), { ...base, ...extra }, options).catch(() => {});
}

function listen() {
  if (listening === document) return;
  listening = document;
  document.addEventListener("click", (event) => {
    const el = event.target.closest?.(`[${A.action}]`);
    if (!el || el.tagName === "FORM") return;
    event.preventDefault();
    declared(el, {});
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches?.(`form[${A.action}]`)) return;
    event.preventDefault();
    declared(form, formData(form));
  });
}

/** Makes `socket` the one hyper-action elements and `$action` use (the last one served wins). */
export function serve(socket) {
  served = socket;
  listen();
}

/** Alpine plugin: `$action(name, data, options)` with `source` = the element. */
export function alpinePlugin(Alpine) {
  alpineStore(Alpine);
  Alpine.magic("action", (el) => (name, data = {}, options = {}) => {
    const socket = current();
    if (!socket) {
      return Promise.reject(new HyperError(STATUS.network, "No socket: call connect() first", KIND.network));
    }
    return socket.action(name, data, { source: el, ...options });
  });
}

if (typeof document !== "undefined") {
  document.addEventListener("alpine:init", () => window.Alpine && alpinePlugin(window.Alpine));
}
