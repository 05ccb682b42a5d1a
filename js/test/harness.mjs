// A DOM (happy-dom) and a scriptable WebSocket for the client's unit tests.
import { Window } from "happy-dom";

export class FakeWebSocket {
  static instances = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.instances.push(this);
  }
  static get last() {
    return FakeWebSocket.instances.at(-1);
  }
  send(text) {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  // Test controls
  serverOpen() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSend(frame) {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }
  serverDrop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
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

let loaded = null;
/** The client module (loaded once, after the first DOM is installed). */
export async function client() {
  loaded ??= await import("../src/hyperchannels.js");
  return loaded;
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
