// The appliers: what each event the server sends does to the page.
import { applyViewNames, focusFirstInvalid, focusState, restoreFocus, swapInto } from "./dom.js";
import { HyperError, KIND, emit, reportError } from "./error.js";
import { changeHistory } from "./history.js";
import { morpher } from "./morph.js";
import {
  ALPINE_STORE, ATTRIBUTES, CLASSES, DEFAULTS, EVENTS, FOCUS, STATUS, WINDOW_EVENTS,
} from "./protocol.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Removes a lifecycle class, and the class attribute when that leaves it empty. */
function unmark(el, name) {
  if (!el.classList.contains(name)) return;
  el.classList.remove(name);
  if (!el.classList.length) el.removeAttribute("class");
}
const loadedScripts = new Set();

/** The socket's morph library: none with `connect(url, {morph: false})`, else the page's (morph.js). */
const morphOf = (socket) => (socket.options.morph === false ? null : morpher());

/** Strict targets: per event, else per call, else `<body hyper-strict-targets>`, else the socket's option. */
function strict(socket, data, call) {
  return data.strict_targets ?? call?.strictTargets ??
    (document.body?.hasAttribute(ATTRIBUTES.strict_targets) || !!socket.options.strictTargets);
}

// The swap lifecycle: `hyper-swapping` on the target from the start (through `swap_delay`),
// `hyper-settling` on the new content through `settle_delay`; swap:start, swap:end and
// settle:end on the target (on the new content when an `outer` swap replaced the target).
async function patchHTML(socket, data, call) {
  const selector = data.target ?? call?.target;
  const el = selector ? document.querySelector(selector) : null;
  if (!el) {
    if (strict(socket, data, call)) {
      throw new HyperError(STATUS.not_found, `Target not found: ${selector}`, KIND.client, call?.id ?? null);
    }
    return;
  }
  const swap = data.swap ?? DEFAULTS.swap;
  const detail = { target: selector, swap, id: call?.id ?? null };
  const focus = data.focus ?? DEFAULTS.focus;
  let added = [];
  let on = el;
  el.classList.add(CLASSES.swapping);
  emit(el, WINDOW_EVENTS.swap_start, detail);
  try {
    if (data.swap_delay) await sleep(data.swap_delay);
    const before = focus === FOCUS.preserve ? focusState() : null;
    const run = () => {
      added = swapInto(el, swap, data.content, { lib: morphOf(socket), source: call?.source });
    };
    if (data.transition && document.startViewTransition) {
      await document.startViewTransition(run).updateCallbackDone;
    } else run();
    if (!el.isConnected) on = added.find((n) => n.isConnected) ?? document;
    applyViewNames(added);
    if (focus === FOCUS.preserve) restoreFocus(before);
    else if (focus === FOCUS.first_invalid) focusFirstInvalid(added);
    else document.querySelector(focus)?.focus();
    unmark(el, CLASSES.swapping);
    emit(on, WINDOW_EVENTS.swap_end, detail);
    if (data.settle_delay) {
      added.forEach((n) => n.classList.add(CLASSES.settling));
      await sleep(data.settle_delay);
    }
  } finally {
    unmark(el, CLASSES.swapping);
    added.forEach((n) => unmark(n, CLASSES.settling));
    emit(on, WINDOW_EVENTS.settle_end, detail);
  }
}

function store(Alpine) {
  if (!Alpine.store(ALPINE_STORE)) Alpine.store(ALPINE_STORE, {});
  return Alpine.store(ALPINE_STORE);
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** Sets `target[key] = value`, merging an object into an object key by key, all the way down. */
export function mergeSignal(target, key, value) {
  if (isObject(value) && isObject(target[key])) {
    for (const [inner, v] of Object.entries(value)) mergeSignal(target[key], inner, v);
  } else target[key] = isObject(value) || Array.isArray(value) ? structuredClone(value) : value;
}

function patchSignals(data, call) {
  const Alpine = window.Alpine;
  emit(window, WINDOW_EVENTS.signals, { ...data });
  if (!Alpine) return;
  const source = call?.source;
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith("$")) {
      mergeSignal(store(Alpine), key.slice(1), value);
      continue;
    }
    const scopes = source
      ? [source.closest?.("[x-data]")].filter(Boolean)
      : [...document.querySelectorAll("[x-data]")].filter((el) => key in (Alpine.$data(el) || {}));
    for (const el of scopes) mergeSignal(Alpine.$data(el), key, value);
  }
}

// The page's CSP nonce: the nonce of the script that loaded the client (its entry's <script
// src>), else <meta name="csp-nonce" content="...">, else that of any script (under a nonce policy
// the module script importing the client has it). Browsers hide a nonce from getAttribute once
// the page loaded; the `nonce` property keeps it.
const ENTRY = new URL("hyperchannels.js", import.meta.url).href;

/** The nonce `load_js` scripts carry ("" when the page has none). */
export function pageNonce() {
  const scripts = [...document.querySelectorAll("script")];
  const own = scripts.find((s) => s.src === ENTRY && s.nonce)?.nonce;
  const meta = document.querySelector(`meta[name="${ATTRIBUTES.csp_nonce_meta}"]`)?.content;
  return own || meta || scripts.find((s) => s.nonce)?.nonce || "";
}

// Not awaited: a slow script must not hold up the events after it.
function loadJS(src) {
  const url = new URL(src, location.href).href;
  if (loadedScripts.has(url)) return;
  loadedScripts.add(url);
  const script = document.createElement("script");
  script.type = "module";
  script.src = url;
  const nonce = pageNonce();
  if (nonce) script.nonce = nonce;
  script.onerror = () => reportError(new HyperError(STATUS.network, `Could not load ${src}`, KIND.network));
  document.head.append(script);
}

const APPLIERS = {
  [EVENTS.patch_html]: patchHTML,
  // On its target, or on window without one; a target that matches nothing gets nothing (an
  // error under strict targets). No payload: `{}`, as HyperDjango gives.
  [EVENTS.dispatch_event]: (s, d, call) => {
    const el = d.target ? document.querySelector(d.target) : window;
    if (el) return emit(el, d.name, d.payload ?? {});
    if (strict(s, d, call)) {
      throw new HyperError(STATUS.not_found, `Target not found: ${d.target}`, KIND.client, call?.id ?? null);
    }
  },
  // The detail is the event's data: a Toast's dict itself, else `{value}` (HyperDjango's shape).
  [EVENTS.toast]: (s, d) => emit(window, WINDOW_EVENTS.toast, d),
  [EVENTS.redirect]: (s, d) => s.navigate(d.url, !!d.replace),
  [EVENTS.history]: (s, d) => changeHistory(d, () => morphOf(s)),
  [EVENTS.load_js]: (s, d) => loadJS(d.src),
  [EVENTS.patch_signals]: (s, d, call) => patchSignals(d, call),
};

/** Applies one event to the page; events without an applier (`end`, pushes of other kinds) do nothing. */
export function applyEvent(socket, event, data, call) {
  if (Object.hasOwn(APPLIERS, event)) return APPLIERS[event](socket, data, call);
}

export { store as alpineStore };

if (typeof document !== "undefined") applyViewNames([document]);
