// Recovery: the page's position in each group, so each group's pushes are applied exactly once and
// in `seq` order, across drops and reconnects (docs/client.md, "Recovery").
import { emit } from "./error.js";
import { DEFAULTS, WINDOW_EVENTS } from "./protocol.js";

const NOOP = null; // held in place of a frame that was meant for another socket: counts, applies nothing

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const isPosition = (p) => isObject(p) && Number.isInteger(p.seq) && p.seq >= 0 && typeof p.epoch === "string";

/** `{group: {seq, epoch}}` as [group, position] pairs; a malformed entry is left out. */
const entries = (positions) => (isObject(positions) ? Object.entries(positions).filter(([, p]) => isPosition(p)) : []);

/** The positions `connect(url, {positions})` was given, checked: a page's typo fails loudly. */
function given(positions) {
  if (positions == null) return [];
  const pairs = isObject(positions) ? Object.entries(positions) : null;
  if (!pairs || !pairs.every(([, p]) => isPosition(p))) {
    throw new TypeError('connect(): positions must map group names to {"seq": int >= 0, "epoch": str}');
  }
  return pairs;
}

/**
 * One page's recovery state. Per group: `local` (the last position applied, `{seq, epoch}`, or
 * null before the server or the page said where the group stands), `held` (seq -> a push that
 * came early, or NOOP), `resyncing` and a gap timer. It belongs to the page: it outlives sockets.
 */
export class Recovery {
  constructor(socket, positions, gapTimeout = DEFAULTS.gap_timeout_ms) {
    Object.assign(this, { socket, gapTimeout, first: false });
    this.groups = new Map();
    this.tokens = new Map(); // stream token -> its group (from its subscribe's `end`)
    this.resumes = new Map(); // id of a resume in flight -> {group: epoch it was sent with}
    for (const [group, p] of given(positions)) this.group(group).local = { seq: p.seq, epoch: p.epoch };
  }

  group(name) {
    if (!this.groups.has(name)) this.groups.set(name, { local: null, held: new Map(), resyncing: false, timer: null });
    return this.groups.get(name);
  }

  /** Every group's current local position, as `resume` and `{% hyper_positions %}` write them. */
  positions() {
    const out = {};
    for (const [name, { local }] of this.groups) if (local) out[name] = { ...local };
    return out;
  }

  /** The `since` of a re-subscribe: the page's own position of the token's group, if it has one. */
  since(token) {
    const local = this.groups.get(this.tokens.get(token))?.local;
    return local ? { ...local } : undefined;
  }

  /** A socket opened: its first `positions` push is told apart; one `resume` names every position. */
  opened() {
    this.first = true;
    const all = this.positions();
    if (Object.keys(all).length) this.resume(all);
  }

  /** Sends a `resume` (an internal invocation) for `positions`; none while the socket is down. */
  resume(positions) {
    const id = this.socket.resume(positions);
    if (id == null) return;
    this.resumes.set(id, Object.fromEntries(Object.entries(positions).map(([g, p]) => [g, p.epoch])));
  }

  /**
   * The `resume` invocation `id` settled. Refused (say 429: too many running), each of its groups
   * still resyncing or gapped asks again after `gapTimeout` ms; after a drop, the next open's
   * resume covers them.
   */
  resumed(id, refused) {
    const sent = this.resumes.get(id);
    this.resumes.delete(id);
    if (!refused || !sent) return;
    for (const name of Object.keys(sent)) {
      const g = this.groups.get(name);
      if (g?.local && (g.resyncing || g.held.size)) this.later(name, g);
    }
  }

  /** A push from a group (rule 1): apply it, drop it as a duplicate, or hold it. */
  push(frame) {
    return this.arrive(frame.group, frame.seq, frame);
  }

  async arrive(name, seq, frame) {
    const g = this.group(name);
    if (g.local && !g.resyncing) {
      if (seq <= g.local.seq) return; // a duplicate
      if (seq === g.local.seq + 1) {
        g.local.seq = seq;
        if (frame !== NOOP) await this.socket.applyFrame(frame);
        return this.drain(name, g);
      }
    }
    // Early, or no baseline yet, or its seq belongs to the epoch a resync will bring: held.
    if (frame !== NOOP || !g.held.has(seq)) g.held.set(seq, frame);
    this.settled(name, g);
  }

  /** Applies the held pushes that follow `local` in order; drops those at or below it. */
  async drain(name, g) {
    if (g.local && !g.resyncing) {
      for (const seq of g.held.keys()) if (seq <= g.local.seq) g.held.delete(seq);
      while (g.held.has(g.local.seq + 1)) {
        const frame = g.held.get(++g.local.seq);
        g.held.delete(g.local.seq);
        if (frame !== NOOP) await this.socket.applyFrame(frame);
      }
    }
    this.settled(name, g);
  }

  /** A gap left open: after `gapTimeout` ms, if it is still open, ask for that group alone. */
  settled(name, g) {
    if (g.resyncing) return; // its resume is in flight (or being retried)
    if (g.local && g.held.size > 0) this.later(name, g);
    else this.stop(g);
  }

  later(name, g) {
    g.timer ??= setTimeout(() => {
      g.timer = null;
      if (g.local && (g.resyncing || g.held.size > 0)) this.resume({ [name]: { ...g.local } });
    }, this.gapTimeout);
  }

  stop(g) {
    clearTimeout(g.timer);
    g.timer = null;
  }

  /** A `positions` event: a reply (`id`) sets baselines; a push is the first after open, or later. */
  async positionsEvent(data, id) {
    const first = id == null && this.first;
    if (id == null) this.first = false;
    for (const [name, p] of entries(data)) {
      const g = this.group(name);
      if (id != null) await this.baseline(name, g, p);
      // No position yet (the socket opened while the server couldn't read its history): the
      // server's word is the baseline, first push or not.
      else if (!g.local) await this.baseline(name, g, p);
      else if (g.local && !g.resyncing && g.local.epoch !== p.epoch) this.resync(name, g);
      else if (!first) await this.arrive(name, p.seq, NOOP); // the excluded socket's frame at p.seq
    }
  }

  /** Rule 3 (and a first baseline): `local` is `p`; held pushes after it are applied in order. */
  baseline(name, g, p) {
    g.local = { seq: p.seq, epoch: p.epoch };
    g.resyncing = false;
    return this.drain(name, g);
  }

  /** The group's history was lost: its pushes wait for the server's resync and its new baseline. */
  resync(name, g) {
    g.resyncing = true;
    this.stop(g);
    // The resume sent at open already names this group at the old epoch: that one resyncs it.
    const covered = [...this.resumes.values()].some((sent) => sent[name] === g.local.epoch);
    if (!covered) this.resume({ [name]: { ...g.local } });
  }

  /** A subscribe's `end` {group, seq, epoch}: the group's baseline, unless the page has one. */
  subscribed(token, data) {
    if (!isObject(data) || typeof data.group !== "string") return;
    this.tokens.set(token, data.group);
    const g = this.group(data.group);
    if (g.local || !isPosition(data)) return;
    const seq = g.held.size ? Math.min(...g.held.keys()) - 1 : data.seq;
    g.local = { seq, epoch: data.epoch };
    return this.drain(data.group, g);
  }

  resynced(data) {
    emit(window, WINDOW_EVENTS.resync, { group: data?.group });
  }
}
