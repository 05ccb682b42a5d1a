// The appliers: what each event the server sends does to the page.
import { focusFirstInvalid, focusState, restoreFocus, swapInto } from "./dom.js";
import { HyperError, KIND, emit, reportError } from "./error.js";
import { ALPINE_STORE, CLASSES, DEFAULTS, EVENTS, FOCUS, STATUS, WINDOW_EVENTS } from "./protocol.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const loadedScripts = new Set();

async function patchHTML(socket, data, call) {
  const selector = data.target ?? call?.target;
  const el = selector ? document.querySelector(selector) : null;
  if (!el) {
    if (data.strict_targets ?? socket.options.strictTargets) {
      throw new HyperError(STATUS.not_found, `Target not found: ${selector}`, KIND.client, call?.id ?? null);
    }
    return;
  }
  if (data.swap_delay) await sleep(data.swap_delay);
  const focus = data.focus ?? DEFAULTS.focus;
  const before = focus === FOCUS.preserve ? focusState() : null;
  let added = [];
  const run = () => {
    added = swapInto(el, data.swap ?? DEFAULTS.swap, data.content);
  };
  if (data.transition && document.startViewTransition) {
    await document.startViewTransition(run).updateCallbackDone;
  } else run();
  if (focus === FOCUS.preserve) restoreFocus(before);
  else if (focus === FOCUS.first_invalid) focusFirstInvalid(added);
  else document.querySelector(focus)?.focus();
  if (data.settle_delay) {
    added.forEach((n) => n.classList.add(CLASSES.settling));
    await sleep(data.settle_delay);
    added.forEach((n) => n.classList.remove(CLASSES.settling));
  }
}

function store(Alpine) {
  if (!Alpine.store(ALPINE_STORE)) Alpine.store(ALPINE_STORE, {});
  return Alpine.store(ALPINE_STORE);
}

function patchSignals(data, call) {
  const Alpine = window.Alpine;
  emit(window, WINDOW_EVENTS.signals, { ...data });
  if (!Alpine) return;
  const source = call?.source;
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith("$")) {
      store(Alpine)[key.slice(1)] = value;
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
  script.onerror = () => reportError(new HyperError(STATUS.network, `Could not load ${src}`, KIND.network));
  document.head.append(script);
}

const APPLIERS = {
  [EVENTS.patch_html]: patchHTML,
  [EVENTS.dispatch_event]: (s, d) =>
    emit((d.target && document.querySelector(d.target)) || window, d.name, d.payload),
  [EVENTS.toast]: (s, d, call) => emit(window, WINDOW_EVENTS.toast, { value: d.value, id: call?.id ?? null }),
  [EVENTS.redirect]: (s, d) => s.navigate(d.url, !!d.replace),
  [EVENTS.history]: (s, d) => {
    if (d.push_url) history.pushState(history.state, "", d.push_url);
    if (d.replace_url) history.replaceState(history.state, "", d.replace_url);
  },
  [EVENTS.load_js]: (s, d) => loadJS(d.src),
  [EVENTS.patch_signals]: (s, d, call) => patchSignals(d, call),
};

/** Applies one event to the page; events without an applier (`end`, pushes of other kinds) do nothing. */
export function applyEvent(socket, event, data, call) {
  if (Object.hasOwn(APPLIERS, event)) return APPLIERS[event](socket, data, call);
}

export { store as alpineStore };
