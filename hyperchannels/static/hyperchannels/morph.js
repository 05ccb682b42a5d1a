// Morphing: `inner` and `outer` patch the page's existing elements instead of replacing them,
// with whichever morph library the page has, so that what the user is doing survives a patch.
//
// Kept: the elements themselves (so Alpine state, listeners, open <details>...), focus, caret,
// selection, scroll positions, and the value of a field the user is editing. The rule for that
// last one: the field that has focus, when its value differs from the value the server last
// rendered (`value !== defaultValue`, `checked !== defaultChecked`, or a changed selection), keeps
// the user's value; the server's value becomes its default. Unfocused or unchanged fields take the
// server's value, and so does the focused field when the patch answers an action whose `source`
// holds it (the user submitted that form: the server's answer, e.g. a cleared field, wins).

/** The morph functions of the page, in HyperDjango's order (Alpine's plugin first), else null. */
export function morpher() {
  const w = window;
  if (typeof w.Alpine?.morph === "function") return ALPINE;
  if (typeof w.Idiomorph?.morph === "function") return IDIOMORPH;
  if (typeof w.morphdom === "function") return MORPHDOM;
  return null;
}

// Alpine's morph matches elements by their `key` attribute only; an id is a key too, as it is for
// idiomorph and morphdom, so that a card inserted above another never takes over its fields.
const alpineKey = (el) => el.getAttribute("key") ?? (el.id || null);

const ALPINE = {
  name: "alpine",
  inner(el, html) {
    const shadow = el.cloneNode(false);
    shadow.innerHTML = html;
    window.Alpine.morph(el, shadow, { key: alpineKey });
  },
  outer(el, next) {
    window.Alpine.morph(el, next, { key: alpineKey });
  },
};

const IDIOMORPH = {
  name: "idiomorph",
  inner(el, html) {
    window.Idiomorph.morph(el, html, { morphStyle: "innerHTML" });
  },
  outer(el, next) {
    window.Idiomorph.morph(el, next, { morphStyle: "outerHTML" });
  },
};

const MORPHDOM = {
  name: "morphdom",
  inner(el, html) {
    const shadow = el.cloneNode(false);
    shadow.innerHTML = html;
    window.morphdom(el, shadow, { childrenOnly: true });
  },
  outer(el, next) {
    window.morphdom(el, next);
  },
};

const FIELDS = "input, textarea, select";

/** What a field shows now, and whether the user changed it from what the server rendered. */
function fieldValue(el) {
  if (el.tagName === "SELECT") {
    const options = [...el.options];
    return { selected: options.map((o) => o.selected), changed: options.some((o) => o.selected !== o.defaultSelected) };
  }
  if (el.type === "checkbox" || el.type === "radio") {
    return { checked: el.checked, changed: el.checked !== el.defaultChecked };
  }
  return { value: el.value, changed: el.value !== el.defaultValue };
}

function setFieldValue(el, saved) {
  if (saved.selected) [...el.options].forEach((o, i) => (o.selected = !!saved.selected[i]));
  else if (saved.checked !== undefined) el.checked = saved.checked;
  else if (el.value !== saved.value) el.value = saved.value;
}

/** Everything about `root` and the focused field that a morph must give back. */
function capture(root, source) {
  const focused = document.activeElement;
  const state = { focused: null, scrolled: [] };
  if (focused && focused !== document.body && focused.matches?.(FIELDS)) {
    state.focused = { el: focused, ...fieldValue(focused) };
    if (source?.contains?.(focused)) state.focused.changed = false;
    try {
      Object.assign(state.focused, {
        start: focused.selectionStart, end: focused.selectionEnd, direction: focused.selectionDirection,
      });
    } catch {
      /* a field without a caret */
    }
  } else if (focused && focused !== document.body) state.focused = { el: focused };
  for (const el of [root, ...root.querySelectorAll("*")]) {
    if (el.scrollTop || el.scrollLeft) state.scrolled.push([el, el.scrollTop, el.scrollLeft]);
  }
  return state;
}

function giveBack(state) {
  const saved = state.focused;
  if (saved?.el.isConnected) {
    if (saved.changed) setFieldValue(saved.el, saved);
    if (document.activeElement !== saved.el) saved.el.focus({ preventScroll: true });
    if (saved.start != null && saved.el.setSelectionRange) {
      try {
        saved.el.setSelectionRange(saved.start, saved.end, saved.direction ?? undefined);
      } catch {
        /* the field no longer takes a selection */
      }
    }
  }
  for (const [el, top, left] of state.scrolled) {
    if (el.isConnected && (el.scrollTop !== top || el.scrollLeft !== left)) el.scrollTo(left, top);
  }
}

/** Morphs `el`'s children (`inner`) into `html`'s nodes; `source`: the element of the action it answers. */
export function morphInner(lib, el, html, source = null) {
  const state = capture(el, source);
  lib.inner(el, html);
  giveBack(state);
}

/** Morphs `el` itself into `next` (one element), keeping it when the library can. */
export function morphOuter(lib, el, next, source = null) {
  const state = capture(el, source);
  lib.outer(el, next);
  giveBack(state);
}
