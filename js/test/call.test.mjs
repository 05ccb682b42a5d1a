// call.js: one pending invocation, settled once; an action's source loading state and lifecycle events.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, installDOM, record, tick } from "./harness.mjs";

const outcome = (promise) => promise.then((ok) => ({ ok }), (error) => ({ error }));

async function setup() {
  const window = installDOM("<!doctype html><html><body><button id='b'>b</button></body></html>");
  const { PendingCall } = await client("call.js");
  const { Lanes } = await client("lanes.js");
  const socket = { pending: new Map(), lanes: new Lanes(), sent: [], send(frame) { this.sent.push(frame); } };
  const start = (id, options = {}, sent = true) => {
    const call = new PendingCall(socket, { type: "action", id, name: `act${id}`, data: {} }, options);
    call.sent = sent;
    socket.pending.set(id, call);
    return call;
  };
  return { window, socket, start, button: window.document.getElementById("b") };
}

test("the source is busy while any of its invocations runs", async () => {
  const { start, button } = await setup();
  const one = start("1", { source: button });
  const two = start("2", { source: button });
  assert.equal(button.getAttribute("aria-busy"), "true");
  assert.ok(button.classList.contains("hyper-loading"));
  one.succeed({ event: "end", data: {} });
  assert.equal(button.getAttribute("aria-busy"), "true");
  two.fail(new Error("x"));
  await outcome(two.promise);
  assert.equal(button.getAttribute("aria-busy"), null);
  assert.ok(!button.classList.contains("hyper-loading"));
});

test("settled once: later successes and failures change nothing", async () => {
  const { window, socket, start } = await setup();
  const seen = record(window, "hyper:requestError");
  const call = start("1");
  call.succeed({ event: "end", data: { n: 1 } });
  call.fail(new Error("late"), true);
  call.succeed({ event: "end", data: { n: 2 } });
  assert.deepEqual(await call.promise, { event: "end", data: { n: 1 } });
  assert.equal(socket.pending.size, 0);
  assert.deepEqual(socket.sent, []);
  assert.equal(seen["hyper:requestError"].length, 0);
});

test("a failure rejects and says so on window with the action's name and source", async () => {
  const { window, start, button } = await setup();
  const { HyperError } = await client("error.js");
  const seen = record(window, "hyper:requestError");
  const call = start("1", { source: button });
  call.fail(new HyperError(403, "Forbidden", "server", "1"));
  const { error } = await outcome(call.promise);
  assert.equal(error.status, 403);
  assert.deepEqual(seen["hyper:requestError"], [
    { id: "1", status: 403, message: "Forbidden", kind: "server", name: "act1", source: button },
  ]);
});

test("a timeout fails with kind timeout and cancels on the server only if the frame was sent", async () => {
  const { socket, start } = await setup();
  const sent = outcome(start("1", { timeout: 5 }).promise);
  const queued = outcome(start("2", { timeout: 5 }, false).promise);
  for (const { error } of [await sent, await queued]) assert.deepEqual([error.status, error.kind], [0, "timeout"]);
  assert.deepEqual(socket.sent, [{ type: "cancel", id: "1" }]);
});

test("an abort, before or after the call, rejects with 499 and cancels", async () => {
  const { socket, start } = await setup();
  const early = new AbortController();
  early.abort();
  const late = new AbortController();
  const calls = [outcome(start("1", { signal: early.signal }).promise), outcome(start("2", { signal: late.signal }).promise)];
  late.abort();
  await tick();
  for (const { error } of await Promise.all(calls)) assert.deepEqual([error.status, error.kind, error.message], [499, "cancelled", "Cancelled"]);
  assert.deepEqual(socket.sent.map((f) => f.id).sort(), ["1", "2"]);
});

test("an action's lifecycle on window: start, then success, afterRequest and end, in that order", async () => {
  const { window, start, button } = await setup();
  const order = [];
  const names = ["hyper:request:start", "hyper:requestSuccess", "hyper:requestError", "hyper:afterRequest",
    "hyper:request:end"];
  for (const name of names) window.addEventListener(name, (e) => order.push([name, e.detail]));
  const ok = start("1", { source: button, key: "k" });
  ok.succeed({ event: "end", data: {} });
  const base = { id: "1", name: "act1", action: "act1", key: "k", source: button };
  assert.deepEqual(order, [
    ["hyper:request:start", base],
    ["hyper:requestSuccess", { ...base, status: 200 }],
    ["hyper:afterRequest", { ...base, ok: true, status: 200 }],
    ["hyper:request:end", { ...base, ok: true, status: 200 }],
  ]);
  order.length = 0;
  const { HyperError } = await client("error.js");
  const bad = start("2");
  bad.fail(new HyperError(404, "Not found", "server", "2"));
  await outcome(bad.promise);
  assert.deepEqual(order.map(([name]) => name), ["hyper:request:start", "hyper:requestError", "hyper:afterRequest",
    "hyper:request:end"]);
  assert.deepEqual(order.at(-1)[1], { id: "2", name: "act2", action: "act2", key: undefined, source: null, ok: false, status: 404 });
});

test("subscribe and unsubscribe have no lifecycle events and no loading state", async () => {
  const { window, socket } = await setup();
  const { PendingCall } = await client("call.js");
  const seen = record(window, "hyper:request:start", "hyper:request:end");
  const call = new PendingCall(socket, { type: "subscribe", id: "1", stream: "t" }, {});
  assert.equal(window.document.documentElement.getAttribute("aria-busy"), null);
  call.succeed({ event: "end", data: {} });
  assert.deepEqual(seen, { "hyper:request:start": [], "hyper:request:end": [] });
});

test("replaced: resolves {aborted: true}, cancels a sent call, says so on window, settles once", async () => {
  const { window, socket, start, button } = await setup();
  const seen = record(window, "hyper:requestReplaced", "hyper:requestAborted", "hyper:afterRequest", "hyper:requestError");
  const old = start("1", { source: button, key: "k", sync: "replace" });
  const newer = start("2", { source: button, key: "k", sync: "replace" });
  old.replaced(newer);
  old.succeed({ event: "end", data: {} });
  assert.deepEqual(await old.promise, { aborted: true });
  assert.deepEqual(socket.sent, [{ type: "cancel", id: "1" }]);
  assert.equal(seen["hyper:requestReplaced"][0].id, "2");
  assert.equal(seen["hyper:requestReplaced"][0].replacedId, "1");
  assert.equal(seen["hyper:requestAborted"][0].id, "1");
  assert.deepEqual([seen["hyper:afterRequest"][0].aborted, seen["hyper:afterRequest"][0].status], [true, 499]);
  assert.equal(seen["hyper:requestError"].length, 0);
  assert.equal(button.getAttribute("aria-busy"), "true"); // the newer call still runs
  const queued = start("3", { key: "q" }, false);
  queued.replaced(start("4", { key: "q" }));
  assert.deepEqual(await queued.promise, { aborted: true });
  assert.equal(socket.sent.length, 1); // an unsent call needs no cancel
});
