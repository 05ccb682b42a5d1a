// hyper-action elements, forms, loading state, and the Alpine plugin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, openSocket, record, settle } from "./harness.mjs";

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
