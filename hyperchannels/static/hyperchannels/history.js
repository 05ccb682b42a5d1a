// The `history` event, and Back/Forward to the entries it made: the address bar alone would
// show one page's URL over another page's content, so coming back to such an entry fetches its
// URL over HTTP and swaps the fetched page's pop target (HyperDjango does the same).
import { emit } from "./error.js";
import { applyViewNames, swapInto } from "./dom.js";
import { ATTRIBUTES, SWAPS, WINDOW_EVENTS } from "./protocol.js";

const MARK = "hyperchannels"; // key of history.state on the entries this client may restore
let morphWith = () => null; // the morph library of the socket that last changed the history
let restoring = 0; // the latest Back/Forward wins when several overlap

const marked = (state) => ({ ...(state && typeof state === "object" ? state : {}), [MARK]: true });

/** `history.pushState`/`replaceState`; the entries on both sides of a push become restorable. */
export function changeHistory(data, lib) {
  morphWith = lib;
  if (data.push_url) {
    history.replaceState(marked(history.state), "");
    history.pushState(marked(null), "", data.push_url);
  }
  if (data.replace_url) history.replaceState(marked(history.state), "", data.replace_url);
}

/**
 * The region Back/Forward restores: the element with `hyper-pop-target` (its value, when it has
 * one, is a CSS selector naming the region instead, as HyperDjango's `<body hyper-pop-target=
 * "#main">`), else `body`; `doc` is the current page or the fetched one.
 */
export function popTarget(doc, selector = null) {
  const attr = ATTRIBUTES.pop_target;
  if (selector) return doc.querySelector(selector) ?? doc.body;
  const el = doc.querySelector(`[${attr}]`);
  const named = el?.getAttribute(attr);
  return (named ? doc.querySelector(named) : el) ?? doc.body;
}

/** Fetches `url` and swaps its pop target into the page's; a failed fetch reloads the page. */
export async function restore(url) {
  const turn = ++restoring;
  let text;
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(`${response.status}`);
    text = await response.text();
  } catch {
    if (turn === restoring) location.reload();
    return;
  }
  if (turn !== restoring) return;
  const fetched = new DOMParser().parseFromString(text, "text/html");
  const here = popTarget(document);
  const named = document.querySelector(`[${ATTRIBUTES.pop_target}]`)?.getAttribute(ATTRIBUTES.pop_target);
  const there = here === document.body ? fetched.body : popTarget(fetched, named || null);
  if (fetched.title) document.title = fetched.title;
  const added = swapInto(here, SWAPS.inner, there.innerHTML, { lib: morphWith() });
  applyViewNames(added);
  emit(window, WINDOW_EVENTS.history_restored, { url, target: here });
}

if (typeof window !== "undefined") {
  window.addEventListener("popstate", (event) => {
    if (event.state?.[MARK]) restore(location.href);
  });
}
