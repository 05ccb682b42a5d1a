// hyper-action elements, forms, loading state, and the Alpine plugin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, openSocket, record, settle, tick } from "./harness.mjs";

const PAGE = `<!doctype html><html><body>
  <button id="b" hyper-action="save" hyper-data='{"id": 1}' hyper-target="#card" hyper-block="card">Save</button>
  <button id="bad" hyper-action="save" hyper-data='{nope'>Bad</button>
  <form id="f" hyper-action="add"><input name="title" value="T"><input type="checkbox" name="tag" value="a" checked>
    <input type="checkbox" name="tag" value="b" checked><button id="submit">Add</button></form>
  <div id="card"></div>
</body></html>`;

test("a hyper-action button invokes with its data, target and block; busy while running", async () => {
  const { window, ws, socket } = await openSocket(PAGE);
  const button = window.document.getElementById("b");
  button.click();
  assert.deepEqual(ws.sent, [{ type: "action", id: "1", name: "save", data: { id: 1 }, target: "#card", block: "card" }]);
  assert.equal(button.getAttribute("aria-busy"), "true");
  assert.ok(button.classList.contains("hyper-loading"));
  ws.serverSend({ id: "1", event: "end", data: {} });
  await settle(socket);
  assert.equal(button.getAttribute("aria-busy"), null);
  assert.ok(!button.classList.contains("hyper-loading"));
  socket.close();
});

test("a hyper-action form sends its fields and its submit is prevented", async () => {
  const { window, ws, socket } = await openSocket(PAGE);
  const form = window.document.getElementById("f");
  const event = new window.Event("submit", { bubbles: true, cancelable: true });
  form.dispatchEvent(event);
  assert.equal(event.defaultPrevented, true);
  assert.deepEqual(ws.sent, [{ type: "action", id: "1", name: "add", data: { title: "T", tag: ["a", "b"] } }]);
  assert.equal(form.getAttribute("aria-busy"), "true");
  ws.serverSend({ id: "1", event: "error", data: { status: 400, message: "Title is required." } });
  await settle(socket);
  assert.equal(form.getAttribute("aria-busy"), null);
  socket.close();
});

test("bad hyper-data JSON is a client error, nothing is sent", async () => {
  const { window, ws, socket } = await openSocket(PAGE);
  const seen = record(window, "hyper:requestError");
  window.document.getElementById("bad").click();
  assert.deepEqual(ws.sent, []);
  assert.equal(seen["hyper:requestError"][0].kind, "client");
  socket.close();
});

test("Alpine: $action with source = $el, $signals to the store and x-data scopes", async () => {
  const { window, ws, socket } = await openSocket(`<!doctype html><html><body>
    <div id="a" x-data><span id="s">s</span></div><div id="b" x-data></div></body></html>`);
  const stores = {};
  const scopes = new Map([[window.document.getElementById("a"), { count: 0 }], [window.document.getElementById("b"), { other: 1 }]]);
  const magics = {};
  const Alpine = {
    store: (name, value) => (value === undefined ? stores[name] : (stores[name] = value)),
    $data: (el) => scopes.get(el),
    magic: (name, fn) => (magics[name] = fn),
  };
  window.Alpine = Alpine;
  const { alpinePlugin } = await client();
  alpinePlugin(Alpine);
  const span = window.document.getElementById("s");
  const pending = magics.action(span)("inc", { by: 1 });
  assert.deepEqual(ws.sent.at(-1), { type: "action", id: "1", name: "inc", data: { by: 1 } });
  ws.serverSend({ id: "1", event: "patch_signals", data: { count: 5, $user: "ann" } });
  ws.serverSend({ id: "1", event: "end", data: {} });
  await pending;
  assert.equal(scopes.get(window.document.getElementById("a")).count, 5);
  assert.equal(stores.hyper.user, "ann");
  // A push patches every x-data scope that has the key, and only those.
  ws.serverSend({ event: "patch_signals", data: { other: 7 } });
  await settle(socket);
  assert.equal(scopes.get(window.document.getElementById("b")).other, 7);
  assert.equal("other" in scopes.get(window.document.getElementById("a")), false);
  delete window.Alpine;
  socket.close();
});

const actions = (ws) => ws.sent.filter((f) => f.type === "action");
const fire = (window, el, type, init = { bubbles: true }) => el.dispatchEvent(new window.Event(type, init));

const FIELDS = `<!doctype html><html><body>
  <input id="q" name="q" value="" hyper-action="search" hyper-target="#out">
  <select id="s" name="size" hyper-action="pick"><option value="s">s</option><option value="m" selected>m</option></select>
  <select id="many" name="tags" multiple hyper-action="tag"><option value="a" selected>a</option><option value="b" selected>b</option></select>
  <input id="c" type="checkbox" name="done" hyper-action="toggle" checked>
  <textarea id="t" name="body" hyper-action="note" hyper-data='{"id": 3}'>text</textarea>
  <input id="live" name="q" hyper-action="search" hyper-trigger="input" hyper-debounce="30" hyper-key="search">
  <input id="thr" name="q" hyper-action="search" hyper-trigger="input" hyper-throttle="40" hyper-sync="none">
  <div id="hover" hyper-action="peek" hyper-trigger="mouseenter"><span id="inner">in</span></div>
  <input id="clicky" name="x" value="1" hyper-action="clicked" hyper-trigger="click">
  <form id="f" hyper-action="add"><input type="hidden" name="csrfmiddlewaretoken" value="secret"><input name="title" value="T"></form>
  <form id="rf" hyper-action="add" hyper-sync="replace"><input name="title" value="R"></form>
  <form id="up" hyper-action="upload"><input type="file" name="doc"><input name="title" value="U"></form>
  <div id="out"></div>
</body></html>`;

test("fields with hyper-action send {name: value} on change (not on click), with hyper-data and options", async () => {
  const { window, ws, socket } = await openSocket(FIELDS);
  const $ = (id) => window.document.getElementById(id);
  $("q").value = "abc";
  $("q").click();
  assert.deepEqual(actions(ws), []);
  for (const id of ["q", "s", "many", "c", "t"]) fire(window, $(id), "change");
  assert.deepEqual(actions(ws).map((f) => [f.name, f.data, f.target]), [
    ["search", { q: "abc" }, "#out"], ["pick", { size: "m" }, undefined], ["tag", { tags: ["a", "b"] }, undefined],
    ["toggle", { done: true }, undefined], ["note", { body: "text", id: 3 }, undefined],
  ]);
  fire(window, $("clicky"), "change");
  $("clicky").click();
  assert.deepEqual(actions(ws).slice(5).map((f) => [f.name, f.data]), [["clicked", { x: "1" }]], "hyper-trigger replaces change");
  socket.close();
});

test("hyper-debounce: one call for a burst of input events, with the last value, in the hyper-key lane", async () => {
  const { window, ws, socket } = await openSocket(FIELDS);
  const live = window.document.getElementById("live");
  for (const value of ["h", "he", "hel", "hell", "hello"]) {
    live.value = value;
    fire(window, live, "input");
    await tick(5);
  }
  assert.deepEqual(actions(ws), []);
  await tick(50);
  assert.deepEqual(actions(ws).map((f) => f.data), [{ q: "hello" }]);
  live.value = "help";
  fire(window, live, "input");
  await tick(50);
  // The second call replaced the first in the "search" lane (hyper-key).
  assert.deepEqual(ws.sent.slice(1).map((f) => [f.type, f.id]), [["cancel", "1"], ["action", "2"]]);
  socket.close();
});

test("hyper-throttle: the first event at once, the last of the window at its end", async () => {
  const { window, ws, socket } = await openSocket(FIELDS);
  const thr = window.document.getElementById("thr");
  for (const value of ["a", "ab", "abc"]) {
    thr.value = value;
    fire(window, thr, "input");
  }
  assert.deepEqual(actions(ws).map((f) => f.data.q), ["a"]);
  await tick(60);
  assert.deepEqual(actions(ws).map((f) => f.data.q), ["a", "abc"]);
  socket.close();
});

test("hyper-trigger: events that do not bubble, and names first seen on elements patched in", async () => {
  const { window, ws, socket } = await openSocket(FIELDS);
  const $ = (id) => window.document.getElementById(id);
  fire(window, $("inner"), "mouseenter", { bubbles: false });
  assert.deepEqual(actions(ws), [], "a child's mouseenter is not the element's");
  fire(window, $("hover"), "mouseenter", { bubbles: false });
  assert.deepEqual(actions(ws).map((f) => f.name), ["peek"]);
  ws.serverSend({ event: "patch_html", data: { content: '<button id="dbl" hyper-action="zoom" hyper-trigger="dblclick focusin">z</button>', target: "#out", swap: "inner" } });
  await settle(socket);
  await tick();
  fire(window, $("dbl"), "dblclick");
  $("dbl").click();
  assert.deepEqual(actions(ws).map((f) => f.name), ["peek", "zoom"]);
  socket.close();
});

test("forms: no CSRF token; block by default, hyper-sync replace; a file field is a client error, nothing sent", async () => {
  const { window, ws, socket } = await openSocket(FIELDS);
  const seen = record(window, "hyper:requestError", "hyper:requestBlocked");
  const submit = (id) => window.document.getElementById(id).dispatchEvent(
    new window.Event("submit", { bubbles: true, cancelable: true }));
  submit("f");
  submit("f");
  assert.deepEqual(actions(ws).map((f) => f.data), [{ title: "T" }]);
  assert.equal(seen["hyper:requestBlocked"].length, 1);
  submit("rf");
  submit("rf");
  assert.deepEqual(ws.sent.slice(1).map((f) => f.type), ["action", "cancel", "action"]);
  assert.equal(submit("up"), false, "the browser's submit is prevented");
  assert.equal(ws.sent.length, 4);
  const [error] = seen["hyper:requestError"];
  assert.deepEqual([error.status, error.kind], [400, "client"]);
  assert.match(error.message, /File uploads are not supported.*"doc"/);
  socket.close();
});

test("action(): the default socket's action, as HyperDjango's global action(); rejects without a socket", async () => {
  const { window, ws, socket } = await openSocket(FIELDS);
  const { action } = await client();
  const pending = action("save", { n: 1 }, { source: window.document.getElementById("q") });
  assert.deepEqual(ws.sent.at(-1), { type: "action", id: "1", name: "save", data: { n: 1 } });
  ws.serverSend({ id: "1", event: "end", data: {} });
  assert.deepEqual(await pending, { event: "end", data: {} });
  socket.close();
  await assert.rejects(action("save"), (e) => e.status === 0 && /connect\(\)/.test(e.message));
});
