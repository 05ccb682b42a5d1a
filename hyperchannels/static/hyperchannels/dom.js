// DOM primitives of patch_html: parse HTML, swap (or morph) it into an element, keep focus across swaps.
import { HyperError, KIND } from "./error.js";
import { morphInner, morphOuter } from "./morph.js";
import { ATTRIBUTES, STATUS, SWAPS, SWAP_ALIASES } from "./protocol.js";

/** The nodes of an HTML string (scripts inside do not run, as with innerHTML). */
export function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html ?? "";
  return template.content;
}

const INSERT = {
  [SWAPS.inner]: (el, nodes) => el.replaceChildren(nodes),
  [SWAPS.outer]: (el, nodes) => el.replaceWith(nodes),
  [SWAPS.before]: (el, nodes) => el.before(nodes),
  [SWAPS.after]: (el, nodes) => el.after(nodes),
  [SWAPS.prepend]: (el, nodes) => el.prepend(nodes),
  [SWAPS.append]: (el, nodes) => el.append(nodes),
};

/** The canonical name of a swap or of one of its aliases (`innerHTML`, `beforeend`...); else null. */
export function canonicalSwap(swap) {
  if (Object.hasOwn(SWAP_ALIASES, swap)) return SWAP_ALIASES[swap];
  return Object.hasOwn(SWAPS, swap) ? SWAPS[swap] : null;
}

/** The elements from `first` up to (not including) `stop`. */
function elementsBetween(first, stop) {
  const found = [];
  for (let node = first; node && node !== stop; node = node.nextSibling) if (node.nodeType === 1) found.push(node);
  return found;
}

/**
 * Puts `html` into `el` as `swap` says; returns the elements it added (for `inner` and `outer`:
 * the new content). With `morph.lib` (a morph library, see morph.js) `inner` and `outer` morph
 * instead of replacing; `outer` morphs only when `html` is one element (else it replaces).
 * `morph.source` is the element of the action the patch answers.
 */
export function swapInto(el, swap, html, { lib = null, source = null } = {}) {
  const name = canonicalSwap(swap);
  if (name === SWAPS.none) return [];
  if (name === SWAPS.delete) return el.remove(), [];
  if (!Object.hasOwn(INSERT, name)) {
    throw new HyperError(STATUS.bad_request, `Unknown swap ${swap}`, KIND.client);
  }
  if (lib && name === SWAPS.inner && !(el === document.body && lib.name === "alpine")) {
    morphInner(lib, el, html ?? "", source);
    return [...el.children];
  }
  const nodes = fragment(html);
  if (lib && name === SWAPS.outer && nodes.childElementCount === 1 && nodes.childNodes.length === 1) {
    const before = el.previousSibling;
    const parent = el.parentNode;
    const after = el.nextSibling;
    morphOuter(lib, el, nodes.firstElementChild, source);
    return elementsBetween(before ? before.nextSibling : parent.firstChild, after);
  }
  const added = [...nodes.children];
  INSERT[name](el, nodes);
  return added;
}

/** Sets `style.viewTransitionName` from `hyper-view-transition-name` on `roots` and inside them. */
export function applyViewNames(roots) {
  const attr = ATTRIBUTES.view_transition_name;
  for (const root of roots) {
    const found = [...(root.querySelectorAll?.(`[${attr}]`) ?? [])];
    if (root.matches?.(`[${attr}]`)) found.unshift(root);
    for (const el of found) el.style.viewTransitionName = el.getAttribute(attr).trim();
  }
}

/** The focused element, its id, name and caret: enough to find it again after a swap. */
export function focusState() {
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

/** Gives focus and caret back: to the same field if a morph kept it, else to its replacement (same id, else name). */
export function restoreFocus(state) {
  if (!state) return;
  const again = state.el.isConnected ? state.el
    : (state.id && document.getElementById(state.id)) ||
      (state.name && document.querySelector(`[name="${CSS.escape(state.name)}"]`));
  if (!again || document.activeElement === again) return;
  again.focus();
  if (state.start != null && again.setSelectionRange) {
    try {
      again.setSelectionRange(state.start, state.end);
    } catch {
      /* the new field takes no selection */
    }
  }
}

// Django renders a field with errors as `<ul class="errorlist">...</ul><input ...>`.
const INVALID = ["[aria-invalid=true]", ".errorlist + input, .errorlist + select, .errorlist + textarea", ":invalid"];

/** Focuses the first invalid element among `nodes` (or in the document), by INVALID's order. */
export function focusFirstInvalid(nodes) {
  const scope = nodes.length ? nodes : [document];
  for (const selector of INVALID) {
    for (const node of scope) {
      const bad = node.matches?.(selector) ? node : node.querySelector(selector);
      if (bad) return bad.focus();
    }
  }
}
