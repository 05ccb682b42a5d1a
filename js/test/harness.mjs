// A DOM (happy-dom) and a scriptable WebSocket for the client's unit tests.
import { Window } from "happy-dom";

export class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static instances = [];
  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    FakeWebSocket.instances.push(this);
  }
  static get last() {
    return FakeWebSocket.instances.at(-1);
  }
  send(text) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = FakeWebSocket.CLOSED;
  }
  // Test controls
  serverOpen() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({});
  }
  serverSend(frame) {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }
  serverDrop(code = 1006) {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code });
  }
}

/** A fresh window installed as the globals the client reads. Returns the window. */
export function installDOM(html = "<!doctype html><html><head></head><body></body></html>") {
  const window = new Window({
    url: "http://example.test/page/",
    settings: { disableJavaScriptFileLoading: true, disableCSSFileLoading: true },
  });
  window.document.write(html);
  for (const name of ["window", "document", "location", "history", "CustomEvent", "FormData", "CSS",
    "Node", "HTMLElement", "Event", "Blob"]) {
    globalThis[name] = name === "window" ? window : window[name];
  }
  globalThis.WebSocket = FakeWebSocket;
  FakeWebSocket.instances = [];
  return window;
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Wait until the client has applied every frame it received so far. */
export async function settle(socket) {
  for (let i = 0; i < 5; i++) {
    await socket.applying;
    await tick();
  }
}

/** Record window events of the given names: returns {name: [detail, ...]}. */
export function record(window, ...names) {
  const seen = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) window.addEventListener(name, (e) => seen[name].push(e.detail));
  return seen;
}

/** The folder of the client's modules, as Django serves them. */
export const STATIC = new URL("../../hyperchannels/static/hyperchannels/", import.meta.url);

const loaded = new Map();
/** A module of the client (loaded once, after the first DOM is installed); the entry by default. */
export async function client(module = "hyperchannels.js") {
  if (!loaded.has(module)) loaded.set(module, await import(new URL(module, STATIC).href));
  return loaded.get(module);
}

/** A connected socket on a fresh DOM. */
export async function openSocket(html, options = {}) {
  const window = installDOM(html);
  const { connect } = await client();
  const socket = connect("/ws/test/", options);
  const ws = FakeWebSocket.last;
  ws.serverOpen();
  return { window, socket, ws };
}
