// Triggers: which DOM events run a hyper-action element, and how often (debounce, throttle).
import { isField } from "./fields.js";
import { ATTRIBUTES } from "./protocol.js";

const A = ATTRIBUTES;
const state = new WeakMap(); // element -> {timer, last, next}

/** The events an element runs on: `hyper-trigger`'s names, else submit (forms), change (fields), click. */
export function triggers(el) {
  const named = (el.getAttribute(A.trigger) || "").split(/[\s,]+/).filter(Boolean);
  if (named.length) return named;
  if (el.tagName === "FORM") return ["submit"];
  return [isField(el) ? "change" : "click"];
}

const ms = (el, name) => Math.max(0, Number.parseInt(el.getAttribute(name), 10) || 0);

/**
 * Runs `run` for an event of `el`: at once; with `hyper-debounce="ms"` once the events have
 * stopped for that long (one call for a burst, with the last value); with `hyper-throttle="ms"`
 * at most once per that many ms, the first event at once and the last one of each window at
 * its end (so the final value is always sent).
 */
export function schedule(el, run) {
  const s = state.get(el) || {};
  state.set(el, s);
  const debounce = ms(el, A.debounce);
  if (debounce > 0) {
    clearTimeout(s.timer);
    s.timer = setTimeout(run, debounce);
    return;
  }
  const throttle = ms(el, A.throttle);
  if (throttle > 0) {
    const wait = (s.last ?? -Infinity) + throttle - Date.now();
    if (wait > 0) {
      s.next = run;
      s.timer ??= setTimeout(() => {
        s.timer = null;
        s.last = Date.now();
        s.next();
      }, wait);
      return;
    }
    s.last = Date.now();
  }
  run();
}
