// lanes.js through socket.action: sync replace / block / none, keys, outcomes, lifecycle, beforeRequest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, openSocket, record, settle } from "./harness.mjs";

const quiet = (promise) => promise.catch(() => {}); // pending when the test closes the socket

const PAGE = `<!doctype html><html><body><button id="a">a</button><button id="b">b</button>
  <form id="f"><input name="q" value="x"><input type="hidden" name="csrfmiddlewaretoken" value="secret"></form>
  <ul id="out"></ul></body></html>`;

test("replace (the default): the older call resolves {aborted: true}, is cancelled, its late events are ignored", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  const seen = record(window, "hyper:requestReplaced", "hyper:event");
  const first = socket.action("search", { q: "a" }, { target: "#out" });
  const second = socket.action("search", { q: "ab" }, { target: "#out" });
  assert.deepEqual(ws.sent.map((f) => [f.type, f.id]), [["action", "1"], ["cancel", "1"], ["action", "2"]]);
  assert.deepEqual(await first, { aborted: true });
  ws.serverSend({ id: "2", event: "patch_html", data: { content: "<li>ab</li>", swap: "inner" } });
  ws.serverSend({ id: "2", event: "end", data: {} });
  ws.serverSend({ id: "1", event: "patch_html", data: { content: "<li>a</li>", swap: "inner" } });
  ws.serverSend({ id: "1", event: "error", data: { status: 499, message: "Cancelled" } });
  await settle(socket);
  assert.deepEqual(await second, { event: "end", data: {} });
  assert.equal(window.document.getElementById("out").innerHTML, "<li>ab</li>");
  assert.deepEqual(seen["hyper:event"].map((d) => d.id), ["2", "2"]);
  const [replaced] = seen["hyper:requestReplaced"];
  assert.deepEqual([replaced.id, replaced.replacedId, replaced.key, replaced.name], ["2", "1", "action:search", "search"]);
  socket.close();
});

test("the default key is the action's name and its source element: other sources run beside it", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  const [a, b] = ["a", "b"].map((id) => window.document.getElementById(id));
  const { laneKey } = await client("lanes.js");
  assert.equal(laneKey("save", a), laneKey("save", a));
  assert.notEqual(laneKey("save", a), laneKey("save", b));
  assert.match(laneKey("save", a), /^action:save:el:\d+$/);
  assert.equal(laneKey("save", a, "mine"), "mine");
  quiet(socket.action("save", {}, { source: a }));
  quiet(socket.action("save", {}, { source: b }));
  quiet(socket.action("other", {}, { source: a }));
  assert.deepEqual(ws.sent.map((f) => f.type), ["action", "action", "action"]);
  quiet(socket.action("anything", {}, { source: b, key: "shared" }));
  quiet(socket.action("else", {}, { source: a, key: "shared" }));
  assert.deepEqual(ws.sent.slice(3).map((f) => [f.type, f.id]), [["action", "4"], ["cancel", "4"], ["action", "5"]]);
  socket.close();
});

test("block: a new call while the lane runs resolves {blocked: true}, unsent; forms block by default", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  const seen = record(window, "hyper:requestBlocked", "hyper:beforeRequest");
  const form = window.document.getElementById("f");
  const first = socket.action("add", {}, { source: form });
  assert.deepEqual(await socket.action("add", {}, { source: form }), { blocked: true });
  quiet(socket.action("add", {}, { key: "k", form: "#f" })); // another lane: sent
  assert.equal(ws.sent.filter((f) => f.type === "action").length, 2);
  assert.equal(seen["hyper:requestBlocked"].length, 1);
  assert.equal(seen["hyper:requestBlocked"][0].mode, "block");
  assert.equal(seen["hyper:beforeRequest"].length, 2, "a blocked call never reaches beforeRequest");
  ws.serverSend({ id: "1", event: "end", data: {} });
  await settle(socket);
  await first;
  quiet(socket.action("add", {}, { source: form }));
  assert.equal(ws.sent.filter((f) => f.type === "action").length, 3, "free again once the lane's call ended");
  socket.close();
});

test("none: calls of one lane run side by side; an unknown sync is a 400 before anything is sent", async () => {
  const { socket, ws } = await openSocket(PAGE);
  quiet(socket.action("log", {}, { sync: "none" }));
  quiet(socket.action("log", {}, { sync: "none" }));
  assert.deepEqual(ws.sent.map((f) => f.type), ["action", "action"]);
  await assert.rejects(socket.action("log", {}, { sync: "sometimes" }), (e) => e.status === 400 && e.kind === "client");
  assert.equal(ws.sent.length, 2);
  socket.close();
});

test("hyper:beforeRequest: cancelable (resolves {cancelled: true}, nothing sent or started), may change data", async () => {
  const { window, socket, ws } = await openSocket(PAGE);
  const seen = record(window, "hyper:request:start", "hyper:afterRequest");
  const button = window.document.getElementById("a");
  let detail;
  const stop = (e) => {
    detail = e.detail;
    e.preventDefault();
  };
  window.addEventListener("hyper:beforeRequest", stop);
  assert.deepEqual(await socket.action("save", { n: 1 }, { source: button }), { cancelled: true });
  assert.deepEqual(ws.sent, []);
  assert.deepEqual(seen["hyper:request:start"], []);
  assert.deepEqual([detail.id, detail.name, detail.data, detail.source, detail.key.startsWith("action:save:el:")],
    ["1", "save", { n: 1 }, button, true]);
  assert.equal(button.getAttribute("aria-busy"), null);
  window.removeEventListener("hyper:beforeRequest", stop);
  window.addEventListener("hyper:beforeRequest", (e) => (e.detail.data.extra = true), { once: true });
  quiet(socket.action("save", { n: 2 }));
  assert.deepEqual(ws.sent[0].data, { n: 2, extra: true });
  socket.close();
});

test("form option: its fields under the call's data, never the CSRF token; a missing form is a 400", async () => {
  const { socket, ws } = await openSocket(PAGE);
  quiet(socket.action("find", { page: 2 }, { form: "#f" }));
  assert.deepEqual(ws.sent[0].data, { q: "x", page: 2 });
  await assert.rejects(socket.action("find", {}, { form: "#nope" }), (e) => e.status === 400);
  socket.close();
});

test("a queued call replaced before the socket opens is never sent", async () => {
  const { installDOM, FakeWebSocket } = await import("./harness.mjs");
  installDOM(PAGE);
  const { connect } = await client();
  const socket = connect("/ws/x/");
  const first = socket.action("search", { q: "a" });
  quiet(socket.action("search", { q: "ab" }));
  assert.deepEqual(await first, { aborted: true });
  FakeWebSocket.last.serverOpen();
  assert.deepEqual(FakeWebSocket.last.sent.map((f) => [f.type, f.data?.q]), [["action", "ab"]]);
  socket.close();
});
