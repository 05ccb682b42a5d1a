// socket.js: connection states, queueing, in-flight failures, reconnects, timeouts, cancellation, unreadable frames.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeWebSocket, client, installDOM, openSocket, record, settle, tick } from "./harness.mjs";

const outcome = (promise) => promise.then((ok) => ({ ok }), (error) => ({ error }));

test("a relative URL becomes ws: (or wss: on https pages)", async () => {
  installDOM();
  const { connect } = await client();
  assert.equal(connect("/ws/x/").url, "ws://example.test/ws/x/");
  assert.equal(connect("wss://other.test/ws/").url, "wss://other.test/ws/");
});

test("states are explicit and mirrored on <html data-hyper-state>", async () => {
  const window = installDOM();
  const { connect } = await client();
  const seen = record(window, "hyper:connected", "hyper:disconnected", "hyper:reconnecting");
  const socket = connect("/ws/", { reconnectMin: 5, reconnectMax: 20 });
  const state = () => window.document.documentElement.getAttribute("data-hyper-state");
  assert.equal(socket.state, "connecting");
  assert.equal(state(), "connecting");
  FakeWebSocket.last.serverOpen();
  assert.equal(state(), "open");
  FakeWebSocket.last.serverDrop();
  assert.equal(state(), "reconnecting");
  assert.equal(seen["hyper:disconnected"].length, 1);
  assert.equal(seen["hyper:reconnecting"][0].attempt, 1);
  await tick(30);
  FakeWebSocket.last.serverOpen();
  assert.equal(seen["hyper:connected"].length, 2);
  socket.close();
  assert.equal(state(), "closed");
});

test("actions made while down are queued and sent once open", async () => {
  installDOM();
  const { connect } = await client();
  const socket = connect("/ws/", { reconnectMin: 5 });
  const done = outcome(socket.action("save", { a: 1 }, { target: "#t" }));
  const ws = FakeWebSocket.last;
  assert.deepEqual(ws.sent, []);
  ws.serverOpen();
  assert.deepEqual(ws.sent, [{ type: "action", id: "1", name: "save", data: { a: 1 }, target: "#t" }]);
  ws.serverSend({ id: "1", event: "end", data: {} });
  assert.deepEqual((await done).ok, { event: "end", data: {} });
});

test("in-flight invocations reject with status 0 on a drop and are never re-sent", async () => {
  const { socket, ws, window } = await openSocket(undefined, { reconnectMin: 5 });
  const seen = record(window, "hyper:requestError");
  const flying = outcome(socket.action("slow"));
  ws.serverDrop();
  const { error } = await flying;
  assert.equal(error.status, 0);
  assert.equal(error.network, true);
  assert.equal(seen["hyper:requestError"][0].status, 0);
  await tick(30);
  const again = FakeWebSocket.last;
  assert.notEqual(again, ws);
  again.serverOpen();
  assert.deepEqual(again.sent, []);
  socket.close();
});

test("backoff doubles from the minimum to the cap, with jitter", async () => {
  const { socket, window } = await openSocket(undefined, { reconnectMin: 10, reconnectMax: 40 });
  const seen = record(window, "hyper:reconnecting");
  for (let i = 0; i < 5; i++) {
    FakeWebSocket.last.serverDrop();
    await tick(60);
  }
  const delays = seen["hyper:reconnecting"].map((d) => d.delay);
  assert.deepEqual(seen["hyper:reconnecting"].map((d) => d.attempt), [1, 2, 3, 4, 5]);
  const bases = [10, 20, 40, 40, 40];
  delays.forEach((d, i) => assert.ok(d >= bases[i] * 0.8 - 1 && d <= Math.min(40, bases[i] * 1.2) + 1, `${i}: ${d}`));
  socket.close();
});

test("1012 (server restarting) reconnects within the restart jitter, without the backoff", async () => {
  const { socket, window } = await openSocket(undefined, { reconnectMin: 60000, restartJitter: 30 });
  const seen = record(window, "hyper:reconnecting", "hyper:connected");
  for (let i = 0; i < 3; i++) {
    const before = FakeWebSocket.instances.length;
    FakeWebSocket.last.serverDrop(1012);
    await tick(60); // far below reconnectMin: only the restart rule can have reconnected
    assert.equal(FakeWebSocket.instances.length, before + 1, `drop ${i}`);
    FakeWebSocket.last.serverOpen();
  }
  const drops = seen["hyper:reconnecting"];
  assert.deepEqual(drops.map((d) => d.attempt), [1, 1, 1]);
  drops.forEach((d) => assert.ok(d.delay >= 0 && d.delay <= 30, `${d.delay}`));
  FakeWebSocket.last.serverDrop(1006); // any other drop: the backoff as before
  assert.ok(seen["hyper:reconnecting"].at(-1).delay >= 24000); // 60 s doubled, capped at reconnectMax, -20 %
  socket.close();
});

test("the browser's online event reconnects at once", async () => {
  const { socket, ws, window } = await openSocket(undefined, { reconnectMin: 60000 });
  ws.serverDrop();
  const count = FakeWebSocket.instances.length;
  window.dispatchEvent(new window.Event("online"));
  assert.equal(FakeWebSocket.instances.length, count + 1);
  socket.close();
});

test("streams are subscribed again after a reconnect", async () => {
  const { socket, ws } = await openSocket(undefined, { reconnectMin: 5 });
  const subscribed = socket.subscribe("tok");
  assert.deepEqual(ws.sent, [{ type: "subscribe", id: "1", stream: "tok" }]);
  ws.serverSend({ id: "1", event: "end", data: {} });
  await subscribed;
  ws.serverDrop();
  await tick(20);
  FakeWebSocket.last.serverOpen();
  assert.deepEqual(FakeWebSocket.last.sent.map((f) => [f.type, f.stream]), [["subscribe", "tok"]]);
  const left = socket.unsubscribe("tok");
  const frame = FakeWebSocket.last.sent.at(-1);
  assert.equal(frame.type, "unsubscribe");
  FakeWebSocket.last.serverSend({ id: frame.id, event: "error", data: { status: 403, message: "Invalid stream token" } });
  await assert.rejects(left, (e) => e.status === 403 && e.message === "Invalid stream token");
  socket.close();
});

test("a timeout rejects with status 0 and cancels on the server", async () => {
  const { socket, ws } = await openSocket();
  const { error } = await outcome(socket.action("slow", {}, { timeout: 20 }));
  assert.equal(error.status, 0);
  assert.equal(error.kind, "timeout");
  assert.deepEqual(ws.sent.at(-1), { type: "cancel", id: "1" });
  ws.serverSend({ id: "1", event: "error", data: { status: 499, message: "Cancelled" } });
  await settle(socket); // a late reply for a finished call is ignored
  socket.close();
});

test("a queued action times out too", async () => {
  installDOM();
  const { connect } = await client();
  const socket = connect("/ws/");
  const { error } = await outcome(socket.action("a", {}, { timeout: 10 }));
  assert.equal(error.kind, "timeout");
  FakeWebSocket.last.serverOpen();
  assert.deepEqual(FakeWebSocket.last.sent, []);
  socket.close();
});

test("aborting sends cancel and rejects with 499", async () => {
  const { socket, ws } = await openSocket();
  const controller = new AbortController();
  const pending = outcome(socket.action("slow", {}, { signal: controller.signal }));
  controller.abort();
  const { error } = await pending;
  assert.equal(error.status, 499);
  assert.deepEqual(ws.sent.at(-1), { type: "cancel", id: "1" });
  socket.close();
});

test("server errors reject with status and message; the app failed, not the network", async () => {
  const { socket, ws, window } = await openSocket();
  const seen = record(window, "hyper:requestError");
  const pending = outcome(socket.action("save"));
  ws.serverSend({ id: "1", event: "error", data: { status: 403, message: "Not your board" } });
  const { error } = await pending;
  assert.deepEqual([error.status, error.message, error.network, error.kind], [403, "Not your board", false, "server"]);
  assert.equal(seen["hyper:requestError"][0].status, 403);
  socket.close();
});

test("events of one invocation are applied in order; a redirect resolves", async () => {
  const { socket, ws, window } = await openSocket();
  const seen = record(window, "hyper:toast");
  socket.navigate = () => {};
  const pending = socket.action("go");
  for (let i = 0; i < 5; i++) ws.serverSend({ id: "1", event: "toast", data: { value: i } });
  ws.serverSend({ id: "1", event: "redirect", data: { url: "/x", replace: false } });
  assert.deepEqual(await pending, { event: "redirect", data: { url: "/x", replace: false } });
  assert.deepEqual(seen["hyper:toast"].map((d) => d.value), [0, 1, 2, 3, 4]);
  socket.close();
});

test("close rejects what is pending", async () => {
  const { socket } = await openSocket();
  const pending = outcome(socket.action("a"));
  socket.close();
  assert.equal((await pending).error.status, 0);
  assert.equal((await outcome(socket.action("b"))).error.status, 0);
});

test("a frame larger than maxFrameBytes is refused before sending", async () => {
  const { socket, ws } = await openSocket(undefined, { maxFrameBytes: 50 });
  const { error } = await outcome(socket.action("big", { text: "x".repeat(100) }));
  assert.equal(error.status, 413);
  assert.deepEqual(ws.sent, []);
  socket.close();
});

test("an unreadable reply fails every invocation sent, in order, and never resolves as a success", async () => {
  const { socket, ws, window } = await openSocket();
  const seen = record(window, "hyper:toast", "hyper:requestError");
  const first = outcome(socket.action("save"));
  const second = outcome(socket.action("load"));
  ws.serverSend({ id: "1", event: "toast", data: { value: "before" } });
  ws.serverSend('{"id": "1", "event": "end", "data": {');
  ws.serverSend({ id: "1", event: "end", data: {} });
  ws.serverSend({ id: "2", event: "end", data: {} });
  await settle(socket);
  for (const { error } of [await first, await second]) {
    assert.deepEqual([error.status, error.kind, error.message, error.network], [0, "client", "Unreadable frame from server", true]);
  }
  assert.deepEqual(seen["hyper:toast"].map((d) => d.value), ["before"]);
  assert.deepEqual(seen["hyper:requestError"].map((d) => [d.id, d.name, d.kind]), [["1", "save", "client"], ["2", "load", "client"]]);
  assert.deepEqual(ws.sent.slice(2), [{ type: "cancel", id: "1" }, { type: "cancel", id: "2" }]);
  socket.close();
});

test("an unreadable frame with nothing pending is a hyper:requestError; the socket goes on", async () => {
  const { socket, ws, window } = await openSocket();
  const seen = record(window, "hyper:requestError", "hyper:event");
  for (const text of ["not json", "null", "[1]", "42"]) ws.serverSend(text);
  await settle(socket);
  assert.deepEqual(seen["hyper:requestError"], Array(4).fill({ id: null, status: 0, message: "Unreadable frame from server", kind: "client" }));
  assert.equal(seen["hyper:event"].length, 0);
  const pending = socket.action("after");
  ws.serverSend({ id: "1", event: "end", data: { ok: true } });
  assert.deepEqual(await pending, { event: "end", data: { ok: true } });
  socket.close();
});

test("an unreadable frame leaves queued (unsent) invocations alone", async () => {
  installDOM();
  const { connect } = await client();
  const socket = connect("/ws/");
  const queued = socket.action("later");
  const ws = FakeWebSocket.last;
  ws.onmessage({ data: "garbage" });
  await settle(socket);
  ws.serverOpen();
  ws.serverSend({ id: "1", event: "end", data: {} });
  assert.deepEqual(await queued, { event: "end", data: {} });
  socket.close();
});

test("an aliased swap and an unknown one, end to end", async () => {
  const { socket, ws, window } = await openSocket('<div id="box"><p>old</p></div>');
  const aliased = socket.action("a");
  ws.serverSend({ id: "1", event: "patch_html", data: { target: "#box", swap: "beforeend", content: "<i>new</i>" } });
  ws.serverSend({ id: "1", event: "end", data: {} });
  await aliased;
  assert.equal(window.document.getElementById("box").innerHTML, "<p>old</p><i>new</i>");
  const unknown = outcome(socket.action("b"));
  ws.serverSend({ id: "2", event: "patch_html", data: { target: "#box", swap: "sideways", content: "x" } });
  const { error } = await unknown;
  assert.deepEqual([error.status, error.kind, error.message], [400, "client", "Unknown swap sideways"]);
  socket.close();
});
