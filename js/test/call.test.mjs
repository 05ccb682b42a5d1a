// call.js: one pending invocation, settled once, and its source's loading state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, installDOM, record, tick } from "./harness.mjs";

const outcome = (promise) => promise.then((ok) => ({ ok }), (error) => ({ error }));

async function setup() {
  const window = installDOM("<!doctype html><html><body><button id='b'>b</button></body></html>");
  const { PendingCall, setBusy } = await client("call.js");
  const socket = { pending: new Map(), sent: [], send(frame) { this.sent.push(frame); } };
  const start = (id, options = {}, sent = true) => {
    const call = new PendingCall(socket, { type: "action", id, name: `act${id}`, data: {} }, options);
    call.sent = sent;
    socket.pending.set(id, call);
    return call;
  };
  return { window, socket, start, setBusy, button: window.document.getElementById("b") };
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

test("setBusy ignores what is not an element", async () => {
  const { setBusy } = await setup();
  assert.doesNotThrow(() => setBusy(null, 1));
  assert.doesNotThrow(() => setBusy({}, 1));
});
