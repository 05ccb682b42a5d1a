// DOM primitives of patch_html: parse HTML, swap it into an element, keep focus across swaps.
import { HyperError, KIND } from "./error.js";
import { STATUS, SWAPS, SWAP_ALIASES } from "./protocol.js";

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

/** Puts `html` into `el` as `swap` says; returns the elements added. */
export function swapInto(el, swap, html) {
  const name = canonicalSwap(swap);
  if (name === SWAPS.none) return [];
  if (name === SWAPS.delete) return el.remove(), [];
  if (!Object.hasOwn(INSERT, name)) {
    throw new HyperError(STATUS.bad_request, `Unknown swap ${swap}`, KIND.client);
  }
  const nodes = fragment(html);
  const added = [...nodes.children];
  INSERT[name](el, nodes);
  return added;
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

/** If the swap replaced the focused field, focuses its replacement (same id, else name) and its caret. */
export function restoreFocus(state) {
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

/** Focuses the first invalid element among `nodes` (or in the document). */
export function focusFirstInvalid(nodes) {
  const scope = nodes.length ? nodes : [document];
  for (const node of scope) {
    const bad = node.matches?.(":invalid,[aria-invalid=true]") ? node
      : node.querySelector(":invalid,[aria-invalid=true]");
    if (bad) return bad.focus();
  }
}
