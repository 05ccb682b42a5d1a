// Compiled (never run) by types.test.mjs: the typings describe the client as pages use it.
import {
  CLIENT_STATES, EVENTS, SWAPS, SWAP_ALIASES, WINDOW_EVENTS,
} from "../../../hyperchannels/static/hyperchannels/protocol.js";
import {
  HyperError, PROTOCOL, action, connect, type ActionResult, type ConnectionState, type RequestErrorDetail, type Swap,
} from "../../../hyperchannels/static/hyperchannels/hyperchannels.js";

const socket = connect("/ws/", { strictTargets: true, reconnectMin: 10 });
const state: ConnectionState = socket.state;
const open: ConnectionState = CLIENT_STATES.open;
const swap: Swap = SWAPS.inner;
const canonical: Swap = SWAP_ALIASES.beforeend;
const fromProtocol: Swap = PROTOCOL.swaps[0];
const limit: 64 = PROTOCOL.idMaxLength;

window.addEventListener("hyper:requestError", (event) => {
  const detail: RequestErrorDetail = event.detail;
  const name: string | undefined = detail.name;
  const source: Element | null | undefined = detail.source;
  console.log(detail.status, detail.kind, name, source);
});
window.addEventListener(WINDOW_EVENTS.reconnecting, (event) => console.log(event.detail.attempt + event.detail.delay));
window.addEventListener("hyper:event", (event) => {
  if (event.detail.event === EVENTS.patch_html) console.log(event.detail.data);
});

socket.action("save", { id: 1 }, { target: "#card", timeout: 100 }).then(
  (outcome) => console.log("event" in outcome ? [outcome.event, outcome.data] : outcome),
  (error: HyperError) => console.log(error.status, error.network, error.kind),
);
console.log(state, open, swap, canonical, fromProtocol, limit);

// @ts-expect-error: not a swap
const sideways: Swap = "sideways";
// @ts-expect-error: "closing" is a server state only
const closing: ConnectionState = "closing";
// @ts-expect-error: a toast's fields are unknown until the page checks them
window.addEventListener("hyper:toast", (event) => { const n: number = event.detail.message; });
console.log(sideways, closing);

connect("/ws/", { morph: false });
socket.action("save", {}, { strictTargets: true });
window.addEventListener("hyper:swap:end", (event) => console.log(event.detail.target, event.detail.swap, event.detail.id));
// @ts-expect-error: morph is a boolean
connect("/ws/", { morph: "idiomorph" });

// Lanes, lifecycle events and the default action().
const laned: Promise<ActionResult> = action("search", { q: "x" }, { sync: "replace", key: "search", form: "#f" });
laned.then((r) => "aborted" in r && console.log(r.aborted));
window.addEventListener("hyper:beforeRequest", (event) => event.detail.name === "x" && event.preventDefault());
window.addEventListener("hyper:afterRequest", (event) => console.log(event.detail.ok, event.detail.status, event.detail.key));
// @ts-expect-error: sync is replace, block or none
action("search", {}, { sync: "sometimes" });

// Recovery: the positions a page was rendered at, the gap timeout, the page's positions, hyper:resync.
const recovering = connect("/ws/board/1/", { positions: { "board-1": { seq: 41, epoch: "e1" } }, gapTimeout: 500 });
const seq: number = recovering.positions()["board-1"].seq;
window.addEventListener("hyper:resync", (event) => { const group: string = event.detail.group; console.log(group, seq); });
// @ts-expect-error: a position's seq is a number
connect("/ws/", { positions: { "board-1": { seq: "41", epoch: "e1" } } });

// Presence: socket.presence(group), hyper:presence.
const here = recovering.presence("board-1");
const stopWatching: () => void = here.onChange((list, change) => console.log(list[0]?.key, list[0]?.metas, change.joins));
window.addEventListener("hyper:presence", (event) => console.log(event.detail.group, event.detail.list.length, event.detail.leaves));
// @ts-expect-error: keys are strings
const numeric: number = here.list()[0].key;
console.log(stopWatching, numeric);
