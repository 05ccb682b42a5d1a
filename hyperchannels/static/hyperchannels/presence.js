// Presence (docs/presence.md): who is in each group, from `presence_state` and `presence_diff`.
import { emit } from "./error.js";
import { ALPINE_STORE, WINDOW_EVENTS } from "./protocol.js";

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const entries = (value) => (isObject(value) ? Object.entries(value) : []);

/** Who is in one group: `list()` is `[{key, metas}]`; `onChange(callback)` is told every change. */
export class GroupPresence {
  constructor(group) {
    this.group = group;
    this.keys = new Map(); // key -> [meta, ...]
    this.callbacks = new Set();
  }

  list() {
    return [...this.keys].map(([key, metas]) => ({ key, metas: [...metas] }));
  }

  /** Calls `callback(list, {joins, leaves})` after each change; returns a function that stops it. */
  onChange(callback) {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }
}

/** The presence of every group a socket was told about. */
export class Presence {
  constructor() {
    this.groups = new Map();
  }

  group(name) {
    let found = this.groups.get(name);
    if (!found) this.groups.set(name, (found = new GroupPresence(name)));
    return found;
  }

  /** `presence_state`: the whole group (again after a reconnect): joins and leaves against what was known. */
  state({ group, state } = {}) {
    if (typeof group !== "string") return;
    const presence = this.group(group);
    const next = new Map(entries(state).map(([key, metas]) => [key, Array.isArray(metas) ? metas : []]));
    const joins = [...next.keys()].filter((key) => !presence.keys.has(key));
    const leaves = [...presence.keys.keys()].filter((key) => !next.has(key));
    presence.keys = next;
    this.changed(presence, joins, leaves);
  }

  /** `presence_diff`: keys that joined or left, metas that changed. */
  diff({ group, joins, leaves, updates } = {}) {
    if (typeof group !== "string") return;
    const presence = this.group(group);
    const joined = [];
    const left = [];
    for (const [key, metas] of [...entries(joins), ...entries(updates)]) {
      if (!presence.keys.has(key)) joined.push(key);
      presence.keys.set(key, Array.isArray(metas) ? metas : []);
    }
    for (const [key] of entries(leaves)) {
      if (presence.keys.delete(key)) left.push(key);
    }
    this.changed(presence, joined, left);
  }

  changed(presence, joins, leaves) {
    const list = presence.list();
    for (const callback of [...presence.callbacks]) {
      try {
        callback(list, { joins, leaves });
      } catch (error) {
        console.error(error); // the other callbacks, the event and the store still get the change
      }
    }
    emit(window, WINDOW_EVENTS.presence, { group: presence.group, list, joins, leaves });
    const Alpine = window.Alpine;
    if (Alpine?.store) {
      if (!Alpine.store(ALPINE_STORE)) Alpine.store(ALPINE_STORE, {});
      const store = Alpine.store(ALPINE_STORE);
      store.presence = { ...(store.presence || {}), [presence.group]: list };
    }
  }
}
