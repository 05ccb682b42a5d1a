// error.js: HyperError, its kinds, and failures reported on window.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, installDOM, record } from "./harness.mjs";

test("HyperError carries status, kind and id; network means status 0", async () => {
  installDOM();
  const { HyperError, KIND } = await client("error.js");
  const lost = new HyperError(0, "Connection lost", KIND.network, "3");
  assert.ok(lost instanceof Error);
  assert.deepEqual([lost.name, lost.status, lost.message, lost.kind, lost.id, lost.network],
    ["HyperError", 0, "Connection lost", "network", "3", true]);
  const app = new HyperError(403, "Forbidden", KIND.server);
  assert.deepEqual([app.id, app.network], [null, false]);
  assert.deepEqual(Object.values(KIND), ["network", "timeout", "server", "client", "cancelled"]);
  assert.ok(Object.isFrozen(KIND));
});

test("reportError dispatches hyper:requestError with the error's id, or the one given", async () => {
  const window = installDOM();
  const { HyperError, reportError } = await client("error.js");
  const seen = record(window, "hyper:requestError");
  reportError(new HyperError(400, "Bad", "client"));
  reportError(new HyperError(500, "Boom", "server", "7"));
  reportError(new HyperError(404, "Gone", "client", "8"), null);
  assert.deepEqual(seen["hyper:requestError"], [
    { id: null, status: 400, message: "Bad", kind: "client" },
    { id: "7", status: 500, message: "Boom", kind: "server" },
    { id: null, status: 404, message: "Gone", kind: "client" },
  ]);
});

test("emit bubbles a CustomEvent from an element", async () => {
  const window = installDOM("<!doctype html><html><body><p id='p'></p></body></html>");
  const { emit } = await client("error.js");
  const got = [];
  window.document.body.addEventListener("x", (e) => got.push(e.detail));
  emit(window.document.getElementById("p"), "x", { a: 1 });
  assert.deepEqual(got, [{ a: 1 }]);
});
