// Loading state: what the page shows while actions run (the hyper-loading family, aria-busy).
// Counts running actions overall, per lane key, per action name and per target selector, then
// brings every loading element on the page up to date (after each start and end, and after
// each patch, so that elements swapped in start in the right state).
import { ATTRIBUTES, CLASSES } from "./protocol.js";

const A = ATTRIBUTES;
const LOADING = `[${A.loading}], [${A.loading_key}], [${A.loading_action}]`;
const DISABLE = `[${A.loading_disable}], [${A.loading_disable_key}]`;
const counts = { all: 0, key: new Map(), action: new Map(), target: new Map() };
const sources = new WeakMap(); // element -> how many of its actions run
const timers = new WeakMap(); // element -> pending hyper-loading-delay timer
const disabledBefore = new WeakMap(); // element -> its own disabled state before we disabled it

const bump = (map, name, delta) => {
  if (!name) return;
  const next = (map.get(name) || 0) + delta;
  if (next > 0) map.set(name, next);
  else map.delete(name);
};

const attr = (el, name) => (el.getAttribute(name) || "").trim();
const classes = (value) => (value || "").split(/\s+/).filter(Boolean);

function busy(el, on) {
  if (!el?.setAttribute) return;
  if (on) el.setAttribute("aria-busy", "true");
  else el.removeAttribute("aria-busy");
}

/** Whether a loading scope is active: an action name wins over a key, a key over "any action". */
function active({ key, action }) {
  if (action) return counts.action.has(action);
  if (key) return counts.key.has(key);
  return counts.all > 0;
}

// `hyper-loading="key"` names a lane; empty (or "global") means any action.
function scope(el) {
  const raw = attr(el, A.loading);
  return {
    key: attr(el, A.loading_key) || (raw.toLowerCase() === "global" ? "" : raw),
    action: attr(el, A.loading_action),
  };
}

function disableScope(el) {
  const raw = attr(el, A.loading_disable);
  return {
    key: attr(el, A.loading_disable_key) || (raw.toLowerCase() === "global" ? "" : raw),
    action: attr(el, A.loading_action),
  };
}

// Shown at once, or after `hyper-loading-delay` ms; hidden (or un-classed) at once.
function show(el, on, apply) {
  clearTimeout(timers.get(el));
  timers.delete(el);
  const delay = Number.parseInt(attr(el, A.loading_delay), 10);
  if (on && delay > 0) timers.set(el, setTimeout(() => (timers.delete(el), apply(true)), delay));
  else apply(on);
}

function refreshElement(el) {
  const on = active(scope(el));
  const add = classes(el.getAttribute(A.loading_class));
  const remove = classes(el.getAttribute(A.loading_remove_class));
  const styled = el.hasAttribute(A.loading_class) || el.hasAttribute(A.loading_remove_class);
  // Already in the state asked for (or waiting for its delay): leave its timer alone.
  if (on && timers.has(el)) return;
  show(el, on, (visible) => {
    if (!styled) {
      el.hidden = !visible;
      if (visible) el.removeAttribute("aria-hidden");
      else el.setAttribute("aria-hidden", "true");
    }
    add.forEach((c) => el.classList.toggle(c, visible));
    remove.forEach((c) => el.classList.toggle(c, !visible));
  });
}

// Disabled while a matching action runs; its own disabled state comes back after.
function refreshDisabled(el) {
  if (active(disableScope(el))) {
    if (!disabledBefore.has(el)) disabledBefore.set(el, !!el.disabled);
    el.disabled = true;
    el.setAttribute("aria-disabled", "true");
  } else if (disabledBefore.has(el)) {
    el.disabled = disabledBefore.get(el);
    if (!el.disabled) el.removeAttribute("aria-disabled");
    disabledBefore.delete(el);
  }
}

/** Brings every loading element of the page (or of `root`) up to date with what runs now. */
export function refreshLoading(root = document) {
  if (!root?.querySelectorAll) return;
  const html = document.documentElement;
  busy(html, counts.all > 0);
  busy(document.body, counts.all > 0);
  for (const el of root.querySelectorAll(LOADING)) if (el !== html) refreshElement(el);
  for (const el of root.querySelectorAll(DISABLE)) refreshDisabled(el);
  for (const el of root.querySelectorAll(`[${A.target_busy}]`)) {
    const selector = attr(el, A.target_busy);
    if (selector) busy(el, counts.target.has(selector));
  }
}

function targetOf(call) {
  if (!call.target || !call.source?.hasAttribute?.(A.target_busy) || attr(call.source, A.target_busy)) return null;
  try {
    return document.querySelector(call.target);
  } catch {
    return null;
  }
}

/**
 * One action starts (`delta` 1) or ends (-1): `call` has `key`, `name`, `target`, `source`.
 * Its source carries `aria-busy` and the loading class; with a bare `hyper-target-busy` on the
 * source, so does its target element.
 */
export function loading(call, delta) {
  counts.all = Math.max(0, counts.all + delta);
  bump(counts.key, call.key, delta);
  bump(counts.action, call.name, delta);
  bump(counts.target, call.target, delta);
  const source = call.source;
  if (source?.setAttribute) {
    const running = (sources.get(source) || 0) + delta;
    sources.set(source, running);
    source.classList.toggle(CLASSES.loading, running > 0);
    busy(source, running > 0);
  }
  const target = targetOf(call);
  if (target) busy(target, delta > 0 || counts.target.has(call.target));
  refreshLoading();
}
